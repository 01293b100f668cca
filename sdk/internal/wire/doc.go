// Package wire is the code both sides of the channel protocol share: the
// mapping of errors to gRPC statuses and back, file chunk streaming, the
// batch loop and the small protobuf helpers. It knows neither package sdk
// (whose Serve is the plugin side and imports it) nor sdk/pluginclient (the
// host side): what it needs of sdk's error markers it is handed in a
// [Codec]. Being internal to sdk, the host cannot import it; it reaches the
// protocol through sdk/pluginclient and sdk/grpcplugin.
package wire
