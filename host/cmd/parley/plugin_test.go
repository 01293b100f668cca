package main

import (
	"bytes"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginNewBuildsAndPassesConformance runs "parley plugin new" as a
// user would, then vets and tests the generated module: the scaffold's
// promise is a plugin that builds and passes its own conformance suite,
// in-process and as a binary, straight away.
func TestPluginNewBuildsAndPassesConformance(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build the generated plugin")
	}
	if testing.Short() {
		t.Skip("builds and tests a generated module; run without -short")
	}
	repoRoot, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plugin", "new", "demo", "--dir", dir, "--sdk-path", repoRoot}, &stdout, &stderr); code != 0 {
		t.Fatalf("parley plugin new exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "internal/demochannel/demochannel.go") {
		t.Errorf("output does not list the files written:\n%s", stdout.String())
	}

	// gofmt-clean: every Go file is what gofmt would print.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
			t.Errorf("%s is not gofmt-clean (%v)", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goTool, args...)
		cmd.Dir = dir
		// -mod=mod lets go write go.sum from the module cache (or proxy);
		// GOWORK=off keeps an enclosing go.work out of the generated module.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in the generated module: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd("vet", "./...")
	out := goCmd("test", "-count=1", "-timeout=3m", "-v", "./...") // a hang fails here, not at the suite's deadline
	for _, want := range []string{"--- PASS: TestConformance ", "--- PASS: TestConformanceBinary ", "--- PASS: TestConformance/WebhookValid "} {
		if !strings.Contains(out, want) {
			t.Errorf("go test output lacks %q:\n%s", strings.TrimSpace(want), out)
		}
	}
}

func TestPluginNewRefusesBadInput(t *testing.T) {
	existing := t.TempDir()
	marker := filepath.Join(existing, "keep.txt")
	if err := os.WriteFile(marker, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"existing directory": {"plugin", "new", "demo", "--dir", existing},
		"upper case name":    {"plugin", "new", "MyDesk", "--dir", filepath.Join(t.TempDir(), "x")},
		"leading digit":      {"plugin", "new", "9desk", "--dir", filepath.Join(t.TempDir(), "x")},
		"no name":            {"plugin", "new"},
		"two names":          {"plugin", "new", "a", "b"},
		"unknown subcommand": {"plugin", "old", "a"},
		"path and version":   {"plugin", "new", "a", "--dir", filepath.Join(t.TempDir(), "x"), "--sdk-path", "../../..", "--sdk-version", "v1.0.0"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr); code == 0 {
				t.Fatalf("exit 0, want an error; stdout:\n%s", stdout.String())
			}
			if stderr.Len() == 0 {
				t.Error("no message on stderr")
			}
		})
	}
	if got, err := os.ReadFile(marker); err != nil || string(got) != "mine" {
		t.Errorf("existing directory touched: %q, %v", got, err)
	}
	if entries, _ := os.ReadDir(existing); len(entries) != 1 {
		t.Errorf("existing directory holds %d entries, want only keep.txt", len(entries))
	}
}
