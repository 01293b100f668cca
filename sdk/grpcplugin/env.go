package grpcplugin

// The environment a host sets for a plugin process, read by sdk.Serve.

// CPUProfileEnv names the environment variable that, when set to a file
// path, makes sdk.Serve write a CPU profile of the plugin process there
// until the host stops it. The plugin's CPU is invisible to a profile of
// the host; benchmarks set it to see where a delivery's time goes on this
// side.
const CPUProfileEnv = "PARLEY_PLUGIN_CPUPROFILE"

// LogLevelEnv names the environment variable a host may set to the level
// it shows a plugin's logs at ("info", "debug", ...). Every line a plugin
// writes is formatted, piped to the host and parsed there before the host
// drops what is below its level; at one debug line per delivery that is a
// measurable share of both processes' CPU. Unset or unknown means trace:
// everything is sent and the host filters.
const LogLevelEnv = "PARLEY_PLUGIN_LOG_LEVEL"
