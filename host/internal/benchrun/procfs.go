package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Peak memory is read from /proc by hand: the standard library exposes a
// child's peak only after it exits (rusage), and the plugin is a grandchild
// in the as-shipped arm.

// peakRSS returns VmHWM (peak resident set) of pid in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmHWM(f)
}

func parseVmHWM(f interface{ Read([]byte) (int, error) }) (int64, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmHWM line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		return kb * 1024, err
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmHWM line")
}

// resetPeakRSS starts this process's VmHWM afresh ("5" to clear_refs), so
// one scenario's peak is not an earlier one's.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// pluginPeakRSS is the largest VmHWM among the parley-channel-* children
// of pid; 0 when there is none.
func pluginPeakRSS(pid int) int64 {
	var best int64
	for _, child := range childPIDs(pid) {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", child))
		if err != nil || !strings.HasPrefix(filepath.Base(exe), "parley-channel-") {
			continue
		}
		if rss, err := peakRSS(child); err == nil {
			best = max(best, rss)
		}
	}
	return best
}

// childPIDs lists the direct children of pid from /proc/<pid>/task/*/children.
func childPIDs(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(b) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
