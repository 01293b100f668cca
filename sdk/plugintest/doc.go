// Package plugintest is the harness Parley channel plugins are tested with.
//
// [Serve] runs a channel in-process behind the real gRPC adapters, and
// [ServeBinary] runs a built plugin binary exactly as the host does
// (go-plugin, gRPC, AutoMTLS, the Parley handshake). Both return a
// [Harness]: the host-side channel to call, and a [RecordingHost] that
// records every reply the plugin posts and serves the files a test
// registers.
//
// [RunConformance] checks in one call what every channel must do: a sane
// Describe, per-key config errors, threads that persist, every message
// kind delivered, webhook signatures enforced, contexts honoured, and no
// panic on garbage. [SampleMessages] gives a message of every kind for a
// plugin's own tests, and the Assert helpers report failures at the
// caller's line.
package plugintest
