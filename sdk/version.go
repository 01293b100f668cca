package sdk

import "runtime/debug"

// buildVersion is stamped by the release build:
//
//	go build -ldflags "-X github.com/parley-dev/parley/sdk.buildVersion=1.2.3"
//
// Parley's Makefile stamps every plugin it builds this way.
var buildVersion string

// BuildVersion is the plugin's version for [DescribeResponse.Version]: the
// value stamped into buildVersion at build time; otherwise the main
// module's version when the binary was built with "go install
// module@version"; otherwise "dev".
func BuildVersion() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
