// Package version reports which Parley build is running.
package version

import (
	"fmt"
	"runtime"

	"github.com/parley-dev/parley/sdk/grpcplugin"
)

// Version is the release of this build. The build sets it with
// -ldflags "-X github.com/parley-dev/parley/host/version.Version=v1.2.3";
// it is a variable only so the linker can do that.
var Version = "dev"

// ProtocolVersion is the channel plugin protocol this host speaks.
const ProtocolVersion = grpcplugin.ProtocolVersion

// String describes the build, such as "parley v1.2.3 (protocol 1, go1.26.0)".
func String() string {
	return fmt.Sprintf("parley %s (protocol %d, %s)", Version, ProtocolVersion, runtime.Version())
}
