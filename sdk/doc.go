// Package sdk is what a Parley channel plugin imports.
//
// A channel plugin connects Parley's Telegram conversations to one support
// desk (Slack, Help Scout, HipChat, or anything with an API). The host owns
// the Telegram bot, the conversations and all state; the plugin is a
// stateless process the host starts and talks to over gRPC. Plugin authors
// never see gRPC or protobuf: they implement [Channel] with plain Go types
// and call [Serve] from main.
//
//	func main() {
//		sdk.Serve(&myDesk{})
//	}
//
// Optional behaviour is announced by implementing extra interfaces
// ([AttachmentOpener]) and [Capabilities] in [DescribeResponse]. Errors a
// desk returns are classified with [RetryAfter] (the desk asked us to slow
// down), [Permanent] (retrying will not help) and [ErrNotConfigured]; the
// SDK maps them to the protocol in one place.
//
// Helpers: package sdk/config decodes and checks a config table against
// the declared keys, [Configured] holds what Configure built, package
// sdk/deskhttp calls a desk's HTTP API with bounded timeouts and
// classifies its answers, and [BuildVersion] is the version the build
// stamped.
//
// Package sdk/plugintest runs a channel against a recording host and
// checks it with a conformance suite in one test call.
//
// This package exports only what plugin authors use (a test pins the
// list). The host's side of the protocol is in sdk/pluginclient, and the
// go-plugin handshake and limits both sides agree on are in
// sdk/grpcplugin.
package sdk
