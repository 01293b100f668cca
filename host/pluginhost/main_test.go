package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

// fixtures holds the test plugins, built once per test binary.
var fixtures string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pluginhost-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./internal/testplugins/...")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building test plugins:", err)
		return 1
	}
	fixtures = dir
	return m.Run()
}

// install puts fixture (a built test plugin) into dir as plugin's binary.
func install(t *testing.T, dir, plugin, fixture string) string {
	t.Helper()
	path := filepath.Join(dir, BinaryPrefix+plugin)
	if err := os.Symlink(filepath.Join(fixtures, fixture), path); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeFile writes an arbitrary file where plugin's binary belongs.
func writeFile(t *testing.T, dir, plugin string, data []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, BinaryPrefix+plugin)
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(t *testing.T, path string) string {
	t.Helper()
	s, err := fileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fastOptions are Options with the supervision timings shortened so tests
// see restarts quickly; logs go to the returned buffer.
func fastOptions(dir string) (Options, *syncBuffer) {
	logs := &syncBuffer{}
	return Options{
		Dir:              dir,
		PublicURL:        "https://parley.example/",
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "parley", Output: logs, Level: hclog.Debug}),
		StartTimeout:     5 * time.Second,
		ExitPollInterval: 20 * time.Millisecond,
		PingInterval:     200 * time.Millisecond,
		PingTimeout:      500 * time.Millisecond,
		MinBackoff:       20 * time.Millisecond,
		MaxBackoff:       200 * time.Millisecond,
		StopTimeout:      3 * time.Second,
	}, logs
}

// start runs a manager over specs and closes it when the test ends.
func start(t *testing.T, opts Options, specs ...Spec) (*Manager, error) {
	t.Helper()
	m := New(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	return m, m.Start(ctx, specs)
}

func echoSpec(name, greeting string) Spec {
	cfg, _ := json.Marshal(map[string]string{"greeting": greeting})
	return Spec{Name: name, Plugin: "echo", Config: cfg}
}

func handleOf(t *testing.T, m *Manager, name string) sdk.Channel {
	t.Helper()
	ch, ok := m.Channel(name)
	if !ok {
		t.Fatalf("no channel %q", name)
	}
	return ch
}

func deliver(ctx context.Context, ch sdk.Channel, text string) (sdk.DeliverResponse, error) {
	return ch.Deliver(ctx, sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c1"},
		Message:      sdk.Message{ID: "m-" + text, Kind: sdk.KindText, Text: text},
	})
}

func statusOf(t *testing.T, m *Manager, name string) Status {
	t.Helper()
	for _, s := range m.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for %q", name)
	return Status{}
}

// eventually polls cond until it holds, failing the test after 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.For(t, what, cond)
}

// recordingHost is the host's reply service as a plugin sees it.
type recordingHost struct {
	channel string
	mu      sync.Mutex
	replies []sdk.Reply
}

func (h *recordingHost) PostReply(_ context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replies = append(h.replies, r)
	return sdk.PostReplyResult{ConversationID: "conv-for-" + h.channel}, nil
}

func (h *recordingHost) PostAction(context.Context, sdk.Action) (sdk.ActionResult, error) {
	return sdk.ActionResult{}, sdk.Permanent(fmt.Errorf("no actions here"))
}

func (h *recordingHost) OpenFile(context.Context, string) (io.ReadCloser, sdk.FileInfo, error) {
	return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("no files here"))
}

func (h *recordingHost) got() []sdk.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Reply(nil), h.replies...)
}
