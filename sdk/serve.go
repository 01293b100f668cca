package sdk

import (
	"os"
	"runtime/pprof"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"github.com/parley-dev/parley/sdk/grpcplugin"
	"github.com/parley-dev/parley/sdk/internal/wire"
	"google.golang.org/grpc"
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

func init() {
	// sdk/plugintest serves channels in-process through this hook rather
	// than through an option every plugin author would see.
	wire.ServeTest = func(ch any, logger hclog.Logger, test *plugin.ServeTestConfig) {
		serve(ch.(Channel), serveConfig{logger: logger, test: test})
	}
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
	serve(ch, cfg)
}

// serve is Serve with its options applied; sdk/plugintest reaches it
// through wire.ServeTest.
func serve(ch Channel, cfg serveConfig) {
	if cfg.logger == nil {
		// stdout belongs to the handshake; logs go to stderr as JSON so the
		// host can re-level them under the channel's name.
		cfg.logger = hclog.New(&hclog.LoggerOptions{
			Level: levelFromEnv(), Output: os.Stderr, JSONFormat: true,
		})
	}
	if cfg.test == nil {
		watchParent(cfg.logger, time.Second)
		if path := os.Getenv(grpcplugin.CPUProfileEnv); path != "" {
			defer startCPUProfile(cfg.logger, path)()
		}
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  grpcplugin.Handshake,
		VersionedPlugins: grpcplugin.VersionedPlugins(channelServerFor(ch, cfg.logger)),
		GRPCServer:       newGRPCServer,
		Logger:           cfg.logger,
		Test:             cfg.test,
	})
}

// startCPUProfile starts profiling into path and returns the function that
// stops and flushes it. Failing to profile is logged, never fatal: the
// plugin's job is delivering messages.
func startCPUProfile(logger hclog.Logger, path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		logger.Warn("cpu profile not written", "error", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		logger.Warn("cpu profile not written", "error", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// levelFromEnv is the level the host asked for in grpcplugin.LogLevelEnv;
// unset or unknown means trace: everything is sent and the host filters.
func levelFromEnv() hclog.Level {
	if l := hclog.LevelFromString(os.Getenv(grpcplugin.LogLevelEnv)); l != hclog.NoLevel {
		return l
	}
	return hclog.Trace
}

// streamWorkers is how many calls the plugin's gRPC server runs on
// long-lived goroutines; more at once each get a goroutine of their own, as
// by default. It matches the host's default dispatch concurrency.
const streamWorkers = 64

// newGRPCServer is go-plugin's default server (opts carry its TLS) with
// stream workers: by default every call gets a fresh goroutine whose stack
// grows and is copied on the way into the channel's Deliver, 5-9% of the
// webhook plugin's CPU under load; a worker keeps its grown stack.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.NumStreamWorkers(streamWorkers))...)
}

// channelServerFor is the plugin side of the protocol for ch: the gRPC
// Channel service go-plugin registers, logging to logger.
func channelServerFor(ch Channel, logger hclog.Logger) func(*plugin.GRPCBroker) channelv1.ChannelServer {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return func(broker *plugin.GRPCBroker) channelv1.ChannelServer {
		return &channelServer{impl: ch, broker: broker, logger: logger}
	}
}
