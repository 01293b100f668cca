// Package testplugins holds the plugin binaries pluginhost's tests build
// and run as real processes: echo (a working channel that can also be made
// to die), crashstart (dies before the handshake), badproto (speaks
// protocol version 2) and hostile (does what a compromised plugin would:
// reports its environment, answers huge bodies, floods replies and logs).
package testplugins
