package main

import (
	"context"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/internal/procstat"
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
	rss, _ := procstat.PeakRSS(pid)
	return rss
}
