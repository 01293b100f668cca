// Command parley-channel-telegramgroup is Parley's Telegram staff group
// channel plugin: each Telegram conversation is a forum topic in a private
// staff supergroup, and agents answer inside the topic. The host starts it;
// see README.md for setup.
package main

import (
	"github.com/parley-dev/parley/plugins/telegramgroup/internal/telegramgroupchannel"
	"github.com/parley-dev/parley/sdk"
)

func main() {
	sdk.Serve(telegramgroupchannel.New(telegramgroupchannel.Options{Version: sdk.BuildVersion()}))
}
