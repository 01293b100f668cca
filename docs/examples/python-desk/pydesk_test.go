package pythondesk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
	"github.com/parley-dev/parley/sdk/signature"
)

const secret = "pydesk-test-secret-0123456789"

// wrapper is the executable the host would start.
func wrapper(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("parley-channel-pydesk")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// usePython points the wrapper at a Python that has the plugin's
// libraries, or skips the test when there is none (fails, under
// PARLEY_REQUIRE_PYTHON, as in CI). python3 on PATH may be
// another installation than Debian's (pyenv, say), so /usr/bin/python3 is
// tried too.
func usePython(t *testing.T) {
	t.Helper()
	candidates := []string{os.Getenv("PARLEY_PYTHON"), "python3", "/usr/bin/python3"}
	for _, py := range candidates {
		if py == "" {
			continue
		}
		if exec.Command(py, "-c", "import grpc, google.protobuf, cryptography").Run() == nil {
			t.Setenv("PARLEY_PYTHON", py)
			return
		}
	}
	const why = "no python3 with grpcio, protobuf and cryptography " +
		"(apt-get install python3-grpcio python3-protobuf python3-cryptography)"
	if os.Getenv("PARLEY_REQUIRE_PYTHON") != "" {
		// CI installs them (.ci/run): a missing one there is a broken
		// image, not a reason to pass without running.
		t.Fatal(why)
	}
	t.Skip("skipping the Python example plugin: " + why)
}

func signed(body string) sdk.WebhookRequest {
	return sdk.WebhookRequest{Method: "POST", Path: "/reply", Body: []byte(body),
		Header: map[string][]string{"X-Pydesk-Signature": {signature.SignHMACSHA256([]byte(secret), []byte(body))}}}
}

// TestConformance runs the SDK's conformance suite against the Python
// process, started as the host starts plugins (go-plugin, AutoMTLS), then
// checks that the deliveries landed in the desk file.
func TestConformance(t *testing.T) {
	usePython(t)
	deskFile := filepath.Join(t.TempDir(), "desk.jsonl")
	h := plugintest.ServeBinary(t, wrapper(t))
	plugintest.RunConformance(t, h, plugintest.ConformanceOptions{
		ValidConfig: map[string]any{"path": deskFile, "webhook_secret": secret},
		BadSignatureRequest: func() sdk.WebhookRequest {
			req := signed(`{"thread":"t","id":"r-bad","text":"forged"}`)
			req.Header["X-Pydesk-Signature"] = []string{"sha256=" + strings.Repeat("0", 64)}
			return req
		},
		ValidWebhookRequest: func(threadRef []byte) sdk.WebhookRequest {
			body, _ := json.Marshal(map[string]string{"thread": string(threadRef), "id": "r-1", "author": "Ada", "text": "On it."})
			return signed(string(body))
		},
	})

	lines := readLines(t, deskFile)
	var first struct{ Thread, Kind, Text, From, MessageID string }
	for _, l := range lines {
		var rec struct {
			Thread    string `json:"thread"`
			Kind      string `json:"kind"`
			Text      string `json:"text"`
			From      string `json:"from"`
			MessageID string `json:"message_id"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("desk file line is not JSON: %v: %q", err, l)
		}
		if rec.MessageID == "sample-text" {
			first = struct{ Thread, Kind, Text, From, MessageID string }(rec)
			break
		}
	}
	sample := plugintest.SampleMessages()[0]
	if first.Text != sample.Text || first.Kind != "text" || first.From != "Иван Petrov" || !strings.HasPrefix(first.Thread, "thread-") {
		t.Errorf("desk file has no faithful line for the sample text message; got %+v in %d lines", first, len(lines))
	}
}

// TestNotConfigured checks the rich error status: a delivery before
// Configure must read as sdk.ErrNotConfigured on the host side, which makes
// the host configure the plugin again.
func TestNotConfigured(t *testing.T) {
	usePython(t)
	h := plugintest.ServeBinary(t, wrapper(t))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := h.Channel.Deliver(ctx, plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil))
	if !errors.Is(err, sdk.ErrNotConfigured) {
		t.Fatalf("Deliver before Configure: %v, want sdk.ErrNotConfigured", err)
	}
}

// TestConfigProblems checks that Configure reports every problem at once,
// each naming its key, without echoing the secret.
func TestConfigProblems(t *testing.T) {
	usePython(t)
	h := plugintest.ServeBinary(t, wrapper(t))
	const short = "tiny-secret"
	resp := h.Configure(t, map[string]any{"pth": "x", "webhook_secret": short})
	plugintest.AssertConfigErrors(t, resp, "pth", "path", "webhook_secret")
	for _, e := range resp.Errors {
		plugintest.AssertNoSecret(t, e.Message, short)
		if e.Key == "pth" && !strings.Contains(e.Message, "path") {
			t.Errorf("unknown key %q: %q suggests nothing", e.Key, e.Message)
		}
	}
	resp = h.Configure(t, map[string]any{"path": filepath.Join(t.TempDir(), "no-such-dir", "desk.jsonl"), "webhook_secret": secret})
	plugintest.AssertConfigErrors(t, resp, "path")
}

// TestInboxPostsReplies checks the plugin's own connection: replies an
// agent appends to the inbox file reach the host through Host.PostReply,
// which the host serves on go-plugin's broker. A line still being written
// is not read until it is complete, and a broken line is skipped.
func TestInboxPostsReplies(t *testing.T) {
	usePython(t)
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox.jsonl")
	h := plugintest.ServeBinary(t, wrapper(t))
	plugintest.AssertConfigured(t, h.Configure(t, map[string]any{
		"path": filepath.Join(dir, "desk.jsonl"), "webhook_secret": secret, "inbox": inbox}))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	resp, err := h.Channel.Deliver(ctx, plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil))
	ref := plugintest.AssertDelivered(t, resp, err)

	line := func(id, text string) string {
		b, _ := json.Marshal(map[string]string{"thread": string(ref), "id": id, "author": "Ada", "text": text})
		return string(b) + "\n"
	}
	second := line("in-2", "Second answer, written in two parts.")
	appendFile(t, inbox, "this line is not JSON\n"+line("in-1", "First answer.")+second[:20])
	first := plugintest.AssertReplies(t, h.Host, 1, 15*time.Second)
	appendFile(t, inbox, second[20:])
	replies := plugintest.AssertReplies(t, h.Host, 2, 15*time.Second)
	if len(replies) != 2 || first[0].ExternalID != "in-1" || replies[1].ExternalID != "in-2" ||
		replies[1].Text != "Second answer, written in two parts." || string(replies[1].ThreadRef) != string(ref) {
		t.Fatalf("host got %+v, want in-1 then in-2 in thread %q", replies, ref)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// TestHealthAndShutdown starts the plugin with go-plugin as the host does,
// pings the health service the host's monitor calls, and stops it: the
// process must exit by itself (status 0) on GRPCController.Shutdown,
// before go-plugin would resort to SIGKILL.
func TestHealthAndShutdown(t *testing.T) {
	usePython(t)
	cmd := exec.Command(wrapper(t))
	client := plugin.NewClient(&plugin.ClientConfig{
		// The handshake as docs/plugins-in-other-languages.md documents it,
		// spelled out so the test also checks the document. No plugin is
		// dispensed, so the version needs no plugin set.
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  1,
			MagicCookieKey:   "PARLEY_PLUGIN_MAGIC_COOKIE",
			MagicCookieValue: "telegram-desk-bridge-7f3c2a1e",
		},
		VersionedPlugins: map[int]plugin.PluginSet{1: {}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     30 * time.Second,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "pydesk", Level: hclog.Warn, Output: testWriter{t}}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if err := rpc.Ping(); err != nil {
		t.Fatalf("health check: %v", err)
	}
	client.Kill()
	if ps := cmd.ProcessState; ps == nil || !ps.Exited() || ps.ExitCode() != 0 {
		t.Fatalf("the plugin did not exit by itself on Shutdown: %v", ps)
	}
}

// TestGeneratedCodeIsCurrent regenerates gen/ with generate.sh and
// compares: the committed code must be what the pinned generators make
// from today's protocol.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen")
	b, err := exec.Command("./generate.sh", out).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		// generate.sh's answer when the pinned generators are not installed.
		t.Skipf("skipping: %s(apt-get install protobuf-compiler protobuf-compiler-grpc)", b)
	}
	if err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, b)
	}
	want := tree(t, out)
	have := tree(t, "gen")
	for name, w := range want {
		if h, ok := have[name]; !ok {
			t.Errorf("gen/%s is missing; run ./generate.sh and commit", name)
		} else if h != w {
			t.Errorf("gen/%s is stale; run ./generate.sh and commit", name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			t.Errorf("gen/%s is not generated any more; run ./generate.sh and commit", name)
		}
	}
}

// tree reads every file below dir, keyed by its slash path, skipping
// Python's bytecode caches.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "__pycache__" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// testWriter sends go-plugin's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
