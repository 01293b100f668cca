// Command badproto is a test plugin built for protocol version 2: same
// magic cookie, other version, served with go-plugin directly.
package main

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"github.com/parley-dev/parley/sdk/grpcplugin"
)

// channel answers Describe only: a host speaking version 1 refuses the
// handshake before calling anything.
type channel struct {
	channelv1.UnimplementedChannelServer
}

func (channel) Describe(context.Context, *channelv1.DescribeRequest) (*channelv1.DescribeResponse, error) {
	return &channelv1.DescribeResponse{Name: "badproto", Version: "2.0.0", ProtocolVersion: 2}, nil
}

func main() {
	hs := grpcplugin.Handshake
	hs.ProtocolVersion = 2
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		VersionedPlugins: map[int]plugin.PluginSet{2: {grpcplugin.PluginName: &grpcplugin.GRPCPlugin{
			ChannelServer: func(*plugin.GRPCBroker) channelv1.ChannelServer { return channel{} },
		}}},
		GRPCServer: plugin.DefaultGRPCServer,
	})
}
