package main

import (
	"path/filepath"
	"strings"

	"github.com/parley-dev/parley/host/internal/procstat"
)

// pluginPeakRSS is the largest VmHWM among the parley-channel-* children
// of pid; 0 when there is none.
func pluginPeakRSS(pid int) int64 {
	var best int64
	for _, child := range procstat.Children(pid) {
		if !strings.HasPrefix(filepath.Base(procstat.Executable(child)), "parley-channel-") {
			continue
		}
		if rss, err := procstat.PeakRSS(child); err == nil {
			best = max(best, int64(rss))
		}
	}
	return best
}
