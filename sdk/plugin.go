package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"google.golang.org/grpc"
)

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

// GRPCPlugin is the go-plugin glue for the channel protocol. The host and
// sdk/plugintest use it; a plugin author only calls [Serve].
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the channel served (plugin side); nil on the host side.
	Impl Channel
	// Logger is handed to the channel in Configure (plugin side).
	Logger hclog.Logger
}

// GRPCServer registers the channel on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	logger := p.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	channelv1.RegisterChannelServer(s, &channelServer{impl: p.Impl, broker: broker, logger: logger})
	return nil
}

// GRPCClient returns a *ChannelClient for the host side.
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &ChannelClient{client: channelv1.NewChannelClient(conn), broker: broker}, nil
}

// VersionedPlugins is the plugin map for go-plugin's ClientConfig and
// ServeConfig, keyed by protocol version.
func VersionedPlugins(impl Channel, logger hclog.Logger) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &GRPCPlugin{Impl: impl, Logger: logger}},
	}
}
