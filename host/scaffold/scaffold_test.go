package scaffold

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestGoVersionMatchesRepository(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil || string(m[1]) != GoVersion {
		t.Errorf("GoVersion = %s, the repository's go.mod says %q", GoVersion, m)
	}
}

func TestIsRelease(t *testing.T) {
	for v, want := range map[string]bool{
		"v1.2.3": true, "v0.9.0-rc.1": true, "v2.0.0-beta1": true,
		"dev": false, "": false, "1.2.3": false, "v1.2.3-4-gabcdef0": false, "v1.2.3-dirty": false, "abcdef0": false,
	} {
		if got := IsRelease(v); got != want {
			t.Errorf("IsRelease(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestGenerateGoMod(t *testing.T) {
	for name, tc := range map[string]struct {
		opts Options
		want []string
		not  []string
	}{
		"release": {Options{Name: "my-desk", SDKVersion: "v1.4.0"},
			[]string{"module example.com/parley-channel-my-desk\n", "go " + GoVersion + "\n", "require github.com/parley-dev/parley v1.4.0\n"}, []string{"replace"}},
		"dev build": {Options{Name: "d", Module: "git.example.org/me/d"},
			[]string{"module git.example.org/me/d\n"}, []string{"require", "replace"}},
		"local sdk": {Options{Name: "d", SDKPath: filepath.Join("..", "..")},
			[]string{"replace github.com/parley-dev/parley => /"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			tc.opts.Dir = filepath.Join(t.TempDir(), "out")
			res, err := Generate(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			mod, err := os.ReadFile(filepath.Join(res.Dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(mod), w) {
					t.Errorf("go.mod lacks %q:\n%s", w, mod)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(string(mod), n) {
					t.Errorf("go.mod has %q:\n%s", n, mod)
				}
			}
			if _, err := os.Stat(filepath.Join(res.Dir, "internal", strings.ReplaceAll(tc.opts.Name, "-", "")+"channel")); err != nil {
				t.Errorf("channel package missing: %v", err)
			}
		})
	}
}

func TestGenerateRefusesBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"name with capitals":  {Name: "Desk"},
		"name with slash":     {Name: "a/b"},
		"module with space":   {Name: "d", Module: "example.com/a b"},
		"not a release":       {Name: "d", SDKVersion: "dev"},
		"not a checkout":      {Name: "d", SDKPath: "."},
		"path and version":    {Name: "d", SDKPath: "../..", SDKVersion: "v1.0.0"},
		"directory exists":    {Name: "d", Dir: "."},
		"module with dotdots": {Name: "d", Module: "example.com/../x"},
	} {
		t.Run(name, func(t *testing.T) {
			if opts.Dir == "" {
				opts.Dir = filepath.Join(t.TempDir(), "out")
			}
			if _, err := Generate(opts); err == nil {
				t.Fatal("Generate succeeded")
			}
			if opts.Dir != "." {
				if _, err := os.Stat(opts.Dir); err == nil {
					t.Errorf("%s was created although Generate failed", opts.Dir)
				}
			}
		})
	}
}
