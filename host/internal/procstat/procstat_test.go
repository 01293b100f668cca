package procstat

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPeakRSSOfThisProcess(t *testing.T) {
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1 // touch every page so it is resident
	}
	rss, err := PeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < uint64(len(ballast)) {
		t.Errorf("peak RSS %d is below the %d bytes this test made resident", rss, len(ballast))
	}
	if _, err := PeakRSS(0); err == nil { // /proc/0 does not exist
		t.Error("PeakRSS(0) did not fail")
	}
}

// A child this process started is listed, with its program.
func TestChildren(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	if kids := Children(os.Getpid()); !slices.Contains(kids, pid) {
		t.Fatalf("children %v lack %d", kids, pid)
	}
	if exe := Executable(pid); filepath.Base(exe) != "sleep" {
		t.Errorf("Executable(sleep) = %q", exe)
	}
	if exe := Executable(0); exe != "" {
		t.Errorf("Executable(0) = %q, want empty", exe)
	}
}

func TestDescribeMachine(t *testing.T) {
	m := DescribeMachine()
	if m.Cores < 1 || m.Arch == "" || m.GoVersion == "" || m.CPU == "" {
		t.Errorf("machine %+v", m)
	}
	if f := strings.Fields(LoadAverage()); len(f) != 3 {
		t.Errorf("load average %q: want three fields", LoadAverage())
	}
}
