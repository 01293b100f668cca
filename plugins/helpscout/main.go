// Command parley-channel-helpscout is Parley's Help Scout channel plugin.
// The host starts it; run by hand it only explains that.
package main

import (
	"github.com/parley-dev/parley/plugins/helpscout/internal/helpscoutchannel"
	"github.com/parley-dev/parley/sdk"
)

func main() {
	sdk.Serve(helpscoutchannel.New(helpscoutchannel.Options{Version: sdk.BuildVersion()}))
}
