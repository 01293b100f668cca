package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parley-dev/parley/host/scaffold"
	"github.com/parley-dev/parley/host/version"
)

const pluginUsage = `usage: parley plugin new NAME [--dir DIR] [--module PATH] [--sdk-path DIR | --sdk-version VERSION]

Creates ./NAME (or DIR): a channel plugin module that builds and passes the
SDK's conformance suite. NAME is lower-case letters, digits and dashes.
  --module PATH          module path (default example.com/parley-channel-NAME)
  --sdk-path DIR         use the SDK of a local Parley checkout (a replace line in go.mod)
  --sdk-version VERSION  require this SDK release (default: this host's version when it
                         is a release; otherwise go mod tidy picks the latest)
`

// pluginCmd runs "parley plugin SUBCOMMAND".
func pluginCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "new" {
		fmt.Fprint(stderr, pluginUsage)
		return 2
	}
	fs := flag.NewFlagSet("parley plugin new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, pluginUsage) }
	var opts scaffold.Options
	fs.StringVar(&opts.Dir, "dir", "", "directory to create (default ./NAME)")
	fs.StringVar(&opts.Module, "module", "", "module path (default example.com/parley-channel-NAME)")
	fs.StringVar(&opts.SDKPath, "sdk-path", "", "local Parley checkout to take the SDK from")
	fs.StringVar(&opts.SDKVersion, "sdk-version", "", "SDK release to require, such as v1.2.0")
	// NAME may come before or after the flags.
	rest := args[1:]
	var names []string
	for {
		if fs.Parse(rest) != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(names) != 1 {
		fmt.Fprint(stderr, pluginUsage)
		return 2
	}
	opts.Name = names[0]
	if opts.SDKPath == "" && opts.SDKVersion == "" && scaffold.IsRelease(version.Version) {
		opts.SDKVersion = version.Version
	}
	res, err := scaffold.Generate(opts)
	if err != nil {
		fmt.Fprintf(stderr, "parley plugin new: %v\n", err)
		return 1
	}
	rel := res.Dir
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, res.Dir); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	fmt.Fprintf(stdout, "created %s:\n", res.Dir)
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	switch {
	case opts.SDKPath != "":
		abs, _ := filepath.Abs(opts.SDKPath)
		fmt.Fprintf(stdout, "\nThe SDK comes from %s (a replace line in go.mod).\n", abs)
	case opts.SDKVersion != "":
		fmt.Fprintf(stdout, "\nThe SDK is %s %s.\n", scaffold.SDKModule, opts.SDKVersion)
	default:
		fmt.Fprintf(stdout, "\nThis parley is a development build (%s), so go.mod names no SDK version: go mod tidy\n"+
			"takes the latest release; choose one with go get %s@vX.Y.Z, or rerun with --sdk-path DIR\n"+
			"to use a local checkout.\n", version.Version, scaffold.SDKModule)
	}
	fmt.Fprintf(stdout, "\nNext: cd %s && make test\n", rel)
	return 0
}
