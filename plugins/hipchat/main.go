// Command parley-channel-hipchat is Parley's HipChat channel plugin. The
// host starts it; run by hand it only explains that.
package main

import (
	"github.com/parley-dev/parley/plugins/hipchat/internal/hipchatchannel"
	"github.com/parley-dev/parley/sdk"
)

func main() {
	sdk.Serve(hipchatchannel.New(hipchatchannel.Options{Version: sdk.BuildVersion()}))
}
