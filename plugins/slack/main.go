// Command parley-channel-slack is Parley's Slack channel plugin: each
// Telegram conversation is a thread in one Slack channel, and agents answer
// in the thread. The host starts it; see README.md for setup.
package main

import (
	"github.com/parley-dev/parley/plugins/slack/internal/slackchannel"
	"github.com/parley-dev/parley/sdk"
)

func main() {
	sdk.Serve(slackchannel.New(slackchannel.Options{Version: sdk.BuildVersion()}))
}
