// Package scaffold writes a new channel plugin module: what
// "parley plugin new NAME" creates. The plugin has the layout of the
// plugins in this repository (main.go calling sdk.Serve, the channel in
// internal/<name>channel, a fake desk in <name>fake), builds straight away
// and passes the SDK's conformance suite, in-process and as a binary.
//
// The files are text/template files embedded from templates/; Go files are
// run through go/format, so what is written is gofmt-clean whatever the
// template's spacing.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templates embed.FS

// GoVersion is the go directive of generated modules: the repository's
// own (go.mod), so a plugin builds with the toolchain the SDK needs.
// TestGoVersionMatchesRepository keeps the two equal.
const GoVersion = "1.26.0"

// SDKModule is the module holding the SDK.
const SDKModule = "github.com/parley-dev/parley"

// Options say what to generate.
type Options struct {
	// Name is the channel's name: the binary is parley-channel-<Name>.
	Name string
	// Dir is the directory to create; empty means ./<Name>.
	Dir string
	// Module is the module path; empty means example.com/parley-channel-<Name>.
	Module string
	// SDKPath, when set, is a local Parley checkout the module uses
	// through a replace directive (for a development build of the host).
	SDKPath string
	// SDKVersion is the SDK release to require, such as "v1.2.0"; empty
	// leaves the requirement to "go mod tidy" (the latest release). At
	// most one of SDKPath and SDKVersion may be set.
	SDKVersion string
}

// Result is what Generate wrote.
type Result struct {
	// Dir is the module's directory, absolute.
	Dir string
	// Files are the paths written, relative to Dir, in writing order.
	Files []string
}

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	releaseRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-(alpha|beta|rc)(\.?[0-9]+)?)?$`)
	// modulePathRE is the shape Go accepts for a module path, simplified:
	// slash-separated elements of letters, digits and "-._~", the first
	// holding a dot unless it is a single local word.
	modulePathRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$`)
)

// ValidateName reports whether name can name a channel: lower-case letters,
// digits and dashes, starting with a letter (the host's rule for plugin
// names, which become binary names and webhook paths).
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("plugin name %q: use lower-case letters, digits and dashes, starting with a letter (such as mydesk or my-desk)", name)
	}
	return nil
}

// IsRelease reports whether a host version names a released SDK a module
// can require: vMAJOR.MINOR.PATCH with an optional -alpha/-beta/-rc
// suffix. "dev" and git describe's "v1.2.3-4-gabcdef" or "-dirty" are not.
func IsRelease(version string) bool {
	return releaseRE.MatchString(version)
}

// data is what the templates see.
type data struct {
	Name       string // channel name, "my-desk"
	Pkg        string // channel package, "mydeskchannel"
	Fake       string // fake desk package, "mydeskfake"
	Module     string
	GoVersion  string
	SDKPath    string // quoted for go.mod when it needs to be
	SDKVersion string
}

// files maps each template to the file it writes; {pkg} and {fake} are
// replaced by the package names.
var files = []struct{ tmpl, path string }{
	{"go.mod.tmpl", "go.mod"},
	{"main.go.tmpl", "main.go"},
	{"main_test.go.tmpl", "main_test.go"},
	{"channel.go.tmpl", "internal/{pkg}/{pkg}.go"},
	{"channel_test.go.tmpl", "internal/{pkg}/{pkg}_test.go"},
	{"fake.go.tmpl", "{fake}/{fake}.go"},
	{"Makefile.tmpl", "Makefile"},
	{"README.md.tmpl", "README.md"},
	{"gitignore.tmpl", ".gitignore"},
}

// Generate creates the plugin module. It refuses a directory that exists,
// and removes what it created when a later step fails.
func Generate(opts Options) (Result, error) {
	if err := ValidateName(opts.Name); err != nil {
		return Result{}, err
	}
	if opts.SDKPath != "" && opts.SDKVersion != "" {
		return Result{}, errors.New("give --sdk-path or --sdk-version, not both")
	}
	if opts.SDKVersion != "" && !IsRelease(opts.SDKVersion) {
		return Result{}, fmt.Errorf("SDK version %q: want a release such as v1.2.0", opts.SDKVersion)
	}
	id := strings.ReplaceAll(opts.Name, "-", "")
	d := data{
		Name: opts.Name, Pkg: id + "channel", Fake: id + "fake",
		Module: opts.Module, GoVersion: GoVersion, SDKVersion: opts.SDKVersion,
	}
	if d.Module == "" {
		d.Module = "example.com/parley-channel-" + opts.Name
	}
	if !modulePathRE.MatchString(d.Module) || strings.Contains(d.Module, "..") || strings.HasSuffix(d.Module, "/") {
		return Result{}, fmt.Errorf("module path %q: want a path such as example.com/you/parley-channel-%s", d.Module, opts.Name)
	}
	if opts.SDKPath != "" {
		abs, err := filepath.Abs(opts.SDKPath)
		if err != nil {
			return Result{}, err
		}
		if _, err := os.Stat(filepath.Join(abs, "sdk", "channel.go")); err != nil {
			return Result{}, fmt.Errorf("--sdk-path %s: not a Parley checkout (no sdk/channel.go)", opts.SDKPath)
		}
		d.SDKPath = modFilePath(abs)
	}

	dir := opts.Dir
	if dir == "" {
		dir = opts.Name
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Result{}, err
	}
	if _, err := os.Lstat(dir); err == nil {
		return Result{}, fmt.Errorf("%s already exists: choose another name or --dir (nothing was written)", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Result{}, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Result{}, err
	}
	// Mkdir, not MkdirAll: it fails if the directory appeared meanwhile,
	// so nothing of someone else's is ever overwritten.
	if err := os.Mkdir(dir, 0o755); err != nil {
		return Result{}, err
	}
	res := Result{Dir: dir}
	for _, f := range files {
		rel := strings.NewReplacer("{pkg}", d.Pkg, "{fake}", d.Fake).Replace(f.path)
		if err := render(dir, rel, f.tmpl, d); err != nil {
			_ = os.RemoveAll(dir) // ours: created above
			return Result{}, err
		}
		res.Files = append(res.Files, rel)
	}
	return res, nil
}

func render(dir, rel, tmpl string, d data) error {
	t, err := template.ParseFS(templates, "templates/"+tmpl)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("template %s: %w", tmpl, err)
	}
	out := buf.Bytes()
	if strings.HasSuffix(rel, ".go") {
		if out, err = format.Source(out); err != nil {
			return fmt.Errorf("template %s does not make valid Go: %w", tmpl, err)
		}
	}
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// modFilePath writes a directory for a go.mod replace line, quoted when it
// holds characters go.mod does not take bare.
func modFilePath(p string) string {
	p = filepath.ToSlash(p)
	if strings.ContainsAny(p, " \t\"'`()") {
		return strconv.Quote(p)
	}
	return p
}
