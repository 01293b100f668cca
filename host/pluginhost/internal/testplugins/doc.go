// Package testplugins holds the plugin binaries pluginhost's tests build
// and run as real processes: echo (a working channel that can also be made
// to die), crashstart (dies before the handshake) and badproto (speaks
// protocol version 2).
package testplugins
