package procstat

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/prometheus/procfs"
)

// Peak memory is read from /proc: the standard library gives a child's peak
// only after it exits (rusage), and a plugin is a grandchild of the driver.

// PeakRSS is pid's peak resident set (VmHWM) in bytes.
func PeakRSS(pid int) (uint64, error) {
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	st, err := proc.NewStatus()
	if err != nil {
		return 0, err
	}
	return st.VmHWM, nil
}

// ResetPeakRSS starts this process's VmHWM afresh ("5" to clear_refs), so
// one scenario's peak is not an earlier one's.
func ResetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// Children lists the direct children of pid from
// /proc/<pid>/task/*/children, which prometheus/procfs does not read.
func Children(pid int) []int {
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

// Executable is the path of the program pid runs, "" when it cannot be
// read (the process is gone, or not ours).
func Executable(pid int) string {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return ""
	}
	return exe
}
