// Command parley-channel-webhook is Parley's reference channel plugin: it
// POSTs each Telegram message as signed JSON to a URL and takes agent
// replies back as signed JSON on its webhook. See README.md.
package main

import (
	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
)

func main() {
	sdk.Serve(webhookchannel.New(webhookchannel.Options{Version: sdk.BuildVersion()}))
}
