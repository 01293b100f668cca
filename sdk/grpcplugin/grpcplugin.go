// Package grpcplugin is the go-plugin glue of the Parley channel protocol:
// the handshake, the plugin set and the limits both ends of the gRPC
// connection agree on. It works on the protocol's protobuf types only, so
// package sdk (whose Serve is the plugin side) and package
// sdk/pluginclient (the host side) both build on it without importing each
// other, as grafana-plugin-sdk-go keeps its go-plugin glue apart from its
// plugin-facing backend package.
//
// Plugin authors do not need it: they call sdk.Serve. The Parley host, the
// test harness sdk/plugintest and plugins written in other languages (which
// must match Handshake and ProtocolVersion) do.
package grpcplugin

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"google.golang.org/grpc"
)

// ProtocolVersion is the major version of the Parley channel protocol, the
// "v1" of parley.channel.v1. It is negotiated in the plugin handshake.
const ProtocolVersion = 1

// PluginName is the name under which the channel is dispensed.
const PluginName = "channel"

// Handshake is the go-plugin handshake shared by the host and every
// plugin. The cookie is not a secret: it only stops a plugin binary from
// being started by hand as if it were a normal program.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "PARLEY_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "telegram-desk-bridge-7f3c2a1e",
}

// GRPCPlugin is the go-plugin plugin of the channel protocol.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// ChannelServer builds the Channel service a plugin serves (plugin
	// side); the broker lets it dial the host's Host service back. It is
	// nil on the host side.
	ChannelServer func(*plugin.GRPCBroker) channelv1.ChannelServer
}

// GRPCServer registers the channel on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	channelv1.RegisterChannelServer(s, p.ChannelServer(broker))
	return nil
}

// GRPCClient returns a *Conn for the host side; package sdk/pluginclient
// turns it into a Channel.
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &Conn{Channel: channelv1.NewChannelClient(conn), Broker: broker}, nil
}

// Conn is what the host dispenses: the plugin's Channel service and the
// broker over which the host serves its Host service back.
type Conn struct {
	// Channel is the plugin's Channel service.
	Channel channelv1.ChannelClient
	// Broker carries the extra connections, the Host service among them.
	Broker *plugin.GRPCBroker
}

// VersionedPlugins is the plugin map for go-plugin's ClientConfig and
// ServeConfig, keyed by protocol version. The host passes a nil server.
func VersionedPlugins(server func(*plugin.GRPCBroker) channelv1.ChannelServer) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &GRPCPlugin{ChannelServer: server}},
	}
}
