// Package pluginhost finds, verifies, starts, configures, supervises and
// stops Parley's channel plugins.
//
// Each configured channel names a plugin; its executable is
// <dir>/parley-channel-<plugin>. The [Manager] checks the optional sha256
// pin, starts the process with hashicorp/go-plugin (gRPC only, AutoMTLS),
// calls Describe and then Configure with the channel's own config table,
// and from then on watches the process: a crash or a failed health ping
// costs a restart with exponential backoff, and too many failures within a
// window mark the channel failed. Callers reach a channel through
// [Manager.Channel], a handle that always talks to the current process and
// fails fast with a retryable error while the plugin is down.
//
// [Check] runs the same start-up for `parley check` and reports every
// problem at once.
package pluginhost
