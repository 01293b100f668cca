// Command parley-channel-slack is Parley's Slack channel plugin: each
// Telegram conversation is a thread in one Slack channel, and agents answer
// in the thread. The host starts it; see README.md for setup.
package main

import (
	"runtime/debug"

	"github.com/parley-dev/parley/plugins/slack/internal/slackchannel"
	"github.com/parley-dev/parley/sdk"
)

func main() {
	sdk.Serve(slackchannel.New(version()))
}

// version is the module version the binary was built from, "dev" for a
// local build.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
