package pluginhost

import (
	"maps"
	"slices"
	"strings"

	"github.com/parley-dev/parley/sdk/grpcplugin"
)

// inheritedEnv names the host variables a plugin process inherits: what a
// program needs to find binaries, temporary files, the time zone, its
// locale, CA certificates and an outbound proxy, plus the PARLEY_PLUGIN_*
// variables the SDK reads. Nothing else crosses: the host's environment
// holds the bot token, the database DSN and every channel's secrets, and a
// plugin must see only its own (its config table and its channel's env).
var inheritedEnv = []string{
	"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	grpcplugin.CPUProfileEnv,
}

// inherited reports whether the host variable name passes to plugins.
func inherited(name string) bool {
	return slices.Contains(inheritedEnv, name) || strings.HasPrefix(name, "LC_")
}

// pluginEnv is the whole environment of a channel's plugin process: the
// allow-listed part of host (os.Environ's form), the log level the host
// shows the plugin's lines at, then the channel's own env table, which
// wins over both. go-plugin appends its handshake variables after these.
func pluginEnv(host []string, logLevel string, extra map[string]string) []string {
	var env []string
	for _, kv := range host {
		name, _, ok := strings.Cut(kv, "=")
		if ok && inherited(name) {
			env = append(env, kv)
		}
	}
	env = append(env, grpcplugin.LogLevelEnv+"="+logLevel)
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		env = append(env, name+"="+extra[name])
	}
	return env
}
