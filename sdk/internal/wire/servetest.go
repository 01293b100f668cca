package wire

import (
	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// ServeTest serves ch (an sdk.Channel) in-process in go-plugin's test
// mode, with logger. Package sdk sets it when it is initialised;
// sdk/plugintest calls it. It replaces a public sdk.Serve option, so no
// plugin author's godoc shows go-plugin's test configuration.
var ServeTest func(ch any, logger hclog.Logger, test *plugin.ServeTestConfig)
