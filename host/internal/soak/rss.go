package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// rssPeaks samples the peak resident set (VmHWM) of every host and plugin
// process while the soak runs. A process's own peak dies with it, and the
// soak kills processes, so the largest sample is kept: growth in the last
// sampling interval before a kill can be missed.
type rssPeaks struct {
	mu           sync.Mutex
	host, plugin uint64
}

// sample reads the peaks of the running hosts and their plugins.
func (p *rssPeaks) sample(hosts []*host) {
	for _, h := range hosts {
		hostRSS := vmHWM(h.pid())
		pluginRSS := vmHWM(h.pluginPID())
		p.mu.Lock()
		p.host = max(p.host, hostRSS)
		p.plugin = max(p.plugin, pluginRSS)
		p.mu.Unlock()
	}
}

// run samples every interval until ctx ends.
func (p *rssPeaks) run(ctx context.Context, hosts []*host, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.sample(hosts)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// peaks returns the largest host and plugin peaks seen, in bytes.
func (p *rssPeaks) peaks() (host, plugin uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.host, p.plugin
}

// vmHWM is pid's peak resident set in bytes, 0 if it is gone.
func vmHWM(pid int) uint64 {
	if pid == 0 {
		return 0
	}
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0
	}
	st, err := proc.NewStatus()
	if err != nil {
		return 0
	}
	return st.VmHWM
}

// childPIDs lists the direct children of pid from
// /proc/<pid>/task/*/children, which prometheus/procfs does not read.
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
