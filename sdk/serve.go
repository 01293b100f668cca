package sdk

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// ServeOption changes how [Serve] runs.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger hclog.Logger
	test   *plugin.ServeTestConfig
}

// WithLogger replaces the default logger (hclog JSON on stderr, which the
// host reads and shows under the channel's name).
func WithLogger(l hclog.Logger) ServeOption { return func(c *serveConfig) { c.logger = l } }

// WithTestConfig serves in-process for tests (see go-plugin's
// ServeTestConfig); sdk/plugintest uses it.
func WithTestConfig(t *plugin.ServeTestConfig) ServeOption {
	return func(c *serveConfig) { c.test = t }
}

// Serve runs ch as a Parley channel plugin. It is a plugin's whole main:
// it performs the handshake with the host, serves the protocol over gRPC
// with mutual TLS, and returns when the host stops the plugin. Started by
// hand (not by the host), it prints a short explanation and exits.
func Serve(ch Channel, opts ...ServeOption) {
	cfg := serveConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		// stdout belongs to the handshake; logs go to stderr as JSON so the
		// host can re-level them under the channel's name.
		cfg.logger = hclog.New(&hclog.LoggerOptions{
			Level: hclog.Trace, Output: os.Stderr, JSONFormat: true,
		})
	}
	if cfg.test == nil {
		watchParent(cfg.logger, time.Second)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(ch, cfg.logger),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           cfg.logger,
		Test:             cfg.test,
	})
}
