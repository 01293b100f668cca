package plugintest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/grpcplugin"
	"github.com/parley-dev/parley/sdk/internal/wire"
	"github.com/parley-dev/parley/sdk/pluginclient"
)

// Harness is a channel served the way the host sees it.
type Harness struct {
	// Channel is the host-side channel: every call crosses the real gRPC
	// adapters to the plugin. It is the same value as Client.
	Channel sdk.Channel
	// Client is Channel with the host-only extras (OpenAttachment,
	// ProtocolVersion, DeliverBatch) of the host's client.
	Client *pluginclient.ChannelClient
	// Host records what the plugin posts back and serves files to it.
	Host *RecordingHost

	// impl is the channel itself when it runs in-process: the conformance
	// suite feeds it input gRPC cannot carry (invalid UTF-8).
	impl sdk.Channel
}

// Serve runs ch in-process behind the real gRPC adapters: sdk.Serve in
// go-plugin's test mode (through a hook of sdk/internal/wire), and a go-plugin client reattached to it, so the
// broker, the Host callbacks and the error mapping are the production
// ones. Everything stops when the test ends. The sample files of
// [SampleMessages] are registered on the Host.
func Serve(t testing.TB, ch sdk.Channel) *Harness {
	t.Helper()
	logger := testLogger(t, "plugin")
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go wire.ServeTest(ch, logger, &plugin.ServeTestConfig{
		Context: ctx, ReattachConfigCh: reattach, CloseCh: closed,
	})
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("plugintest: the channel did not start serving within 30s")
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: grpcplugin.Handshake,
		// A reattached client skips version negotiation, so it is handed
		// the plugin set directly.
		Plugins:          grpcplugin.VersionedPlugins(nil)[grpcplugin.ProtocolVersion],
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  grpcplugin.HostDialOptions(),
		Logger:           testLogger(t, "host"),
	})
	t.Cleanup(func() {
		client.Kill()
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Error("plugintest: the channel did not stop within 10s")
		}
	})
	h := dispense(t, client)
	h.impl = ch
	return h
}

// ServeBinary starts a built plugin binary as the host does: go-plugin
// over gRPC with AutoMTLS and the Parley handshake. The process is killed
// when the test ends.
func ServeBinary(t testing.TB, binary string) *Harness {
	t.Helper()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  grpcplugin.Handshake,
		VersionedPlugins: grpcplugin.VersionedPlugins(nil),
		Cmd:              exec.Command(binary),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  grpcplugin.HostDialOptions(),
		Logger:           testLogger(t, filepath.Base(binary)),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(client.Kill)
	return dispense(t, client)
}

func dispense(t testing.TB, client *plugin.Client) *Harness {
	t.Helper()
	proto, err := client.Client()
	if err != nil {
		t.Fatalf("plugintest: connect to plugin: %v", err)
	}
	raw, err := proto.Dispense(grpcplugin.PluginName)
	if err != nil {
		t.Fatalf("plugintest: dispense %q: %v", grpcplugin.PluginName, err)
	}
	conn, ok := raw.(*grpcplugin.Conn)
	if !ok {
		t.Fatalf("plugintest: dispensed %T, want *grpcplugin.Conn", raw)
	}
	cc := pluginclient.New(conn)
	h := &Harness{Channel: cc, Client: cc, Host: NewRecordingHost()}
	for _, m := range SampleMessages() {
		for _, a := range m.Attachments {
			if a.FileRef != "" {
				h.Host.AddFile(a.FileRef, a.Name, a.MIMEType, sampleFileData(a))
			}
		}
	}
	return h
}

// Configure passes cfg (marshalled to JSON) to the channel, with the
// harness's RecordingHost, and returns the channel's answer. It fails the
// test on a transport error, not on config errors: check those with
// [AssertConfigured] or [AssertConfigErrors].
func (h *Harness) Configure(t testing.TB, cfg any) sdk.ConfigureResponse {
	t.Helper()
	return h.configure(t, cfg, h.Host)
}

// configure is Configure with the Host to hand over. The suite hands the
// RecordingHost over once: with the SDK as it stands, the plugin side
// dials the host's broker id again on every Configure, and go-plugin's
// broker answers one dial per id.
func (h *Harness) configure(t testing.TB, cfg any, host sdk.Host) sdk.ConfigureResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.Channel.Configure(ctx, sdk.ConfigureRequest{
		ChannelName: "test", Config: mustJSON(t, cfg), HookBaseURL: "http://127.0.0.1/hooks/test", Host: host,
	})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return resp
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	switch v := v.(type) {
	case nil:
		return json.RawMessage("{}")
	case json.RawMessage:
		return v
	case []byte:
		return v
	case string:
		return json.RawMessage(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("plugintest: config is not JSON: %v", err)
	}
	return b
}

// buildCache holds binaries built by BuildPlugin. It is package state on
// purpose: building once per test binary is the point, and a test binary
// is the unit that owns it.
var buildCache struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// BuildPlugin builds the main package pkg (an import path or a ./relative
// directory) as parley-channel-<name> into a temporary directory and
// returns the binary's path. Each package is built once per test binary.
func BuildPlugin(t testing.TB, pkg string) string {
	t.Helper()
	buildCache.mu.Lock()
	defer buildCache.mu.Unlock()
	if bin, ok := buildCache.bins[pkg]; ok {
		return bin
	}
	if buildCache.dir == "" {
		dir, err := os.MkdirTemp("", "parley-plugintest-")
		if err != nil {
			t.Fatalf("plugintest: %v", err)
		}
		buildCache.dir, buildCache.bins = dir, map[string]string{}
	}
	name := filepath.Base(pkg)
	if abs, err := filepath.Abs(pkg); err == nil && strings.HasPrefix(pkg, ".") {
		name = filepath.Base(abs)
	}
	if !strings.HasPrefix(name, "parley-channel-") {
		name = "parley-channel-" + name
	}
	bin := filepath.Join(buildCache.dir, name)
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plugintest: go build %s: %v\n%s", pkg, err, out)
	}
	buildCache.bins[pkg] = bin
	return bin
}

// testLogger sends logs to t.Log until the test ends; go-plugin's
// goroutines may log after that, which t.Log does not allow.
func testLogger(t testing.TB, name string) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Debug, Output: w})
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
