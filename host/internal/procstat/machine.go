// Package procstat reads what the benchmark (host/internal/benchrun) and the
// soak (host/internal/soak) report about the machine and its processes:
// cores, CPU model, kernel and load average, a process's peak resident set,
// and its children.
package procstat

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine is what the figures were measured on.
type Machine struct {
	// Cores is `nproc`: the processing units this process may use
	// (runtime.NumCPU when nproc is missing).
	Cores int
	// Arch is `uname -m` (runtime.GOARCH when uname is missing).
	Arch string
	// CPU is the first model name in /proc/cpuinfo, or "unknown".
	CPU string
	// Kernel is `uname -sr`, e.g. "Linux 6.1.0-18-amd64".
	Kernel    string
	GoVersion string
}

// DescribeMachine reads the machine this process runs on.
func DescribeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Arch: runtime.GOARCH, GoVersion: runtime.Version(), CPU: "unknown"}
	if out, err := exec.Command("nproc").Output(); err == nil {
		_, _ = fmt.Sscan(string(out), &m.Cores)
	}
	if out, err := exec.Command("uname", "-m").Output(); err == nil {
		m.Arch = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// LoadAverage is /proc/loadavg's first three fields (the 1, 5 and 15
// minute load averages), or "unknown": other work on the machine skews
// every latency and throughput figure.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
