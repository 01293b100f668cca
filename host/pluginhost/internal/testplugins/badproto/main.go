// Command badproto is a test plugin built for protocol version 2: same
// magic cookie, other version, served with go-plugin directly.
package main

import (
	"context"
	"errors"

	plugin "github.com/hashicorp/go-plugin"
	"github.com/parley-dev/parley/sdk"
)

type channel struct{}

func (channel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "badproto", Version: "2.0.0"}, nil
}

func (channel) Configure(context.Context, sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	return sdk.ConfigureResponse{}, nil
}

func (channel) Deliver(context.Context, sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	return sdk.DeliverResponse{}, errors.New("not implemented")
}

func (channel) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: 404}, nil
}

func main() {
	hs := sdk.Handshake
	hs.ProtocolVersion = 2
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: map[int]plugin.PluginSet{2: {sdk.PluginName: &sdk.GRPCPlugin{Impl: channel{}}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
