package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-dev/parley/sdk/grpcplugin"
)

func TestString(t *testing.T) {
	want := "parley dev (protocol " + strconv.Itoa(grpcplugin.ProtocolVersion) + ", " + runtime.Version() + ")"
	if got := String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestLinkerSetsVersion builds a tiny program with the same -ldflags the
// Makefile uses, proving the variable's path is the one release builds set.
func TestLinkerSetsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	src := "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/parley-dev/parley/host/version\"\n)\n\nfunc main() { fmt.Print(version.String()) }\n"
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobin, "run", "-ldflags", "-X github.com/parley-dev/parley/host/version.Version=v9.8.7", main)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	if got := string(out); !strings.HasPrefix(got, "parley v9.8.7 (protocol "+strconv.Itoa(grpcplugin.ProtocolVersion)+", go") {
		t.Errorf("linked build reports %q", got)
	}
}
