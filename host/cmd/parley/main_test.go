package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// PARLEY_CPUPROFILE makes any command write a CPU profile of itself (the
// benchmarks profile bin/parley so); a path it cannot create fails the
// command instead of running it unprofiled.
func TestCPUProfileEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.prof")
	t.Setenv(cpuProfileEnv, path)
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("parley version = %d: %s", code, errOut.String())
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
	t.Setenv(cpuProfileEnv, filepath.Join(t.TempDir(), "missing", "parley.prof"))
	if code := run([]string{"version"}, &out, &errOut); code == 0 {
		t.Error("an unwritable profile path did not fail the command")
	}
}
