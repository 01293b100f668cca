package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
)

func TestRunningChannelAnswersWithItsOwnConfig(t *testing.T) {
	dir := t.TempDir()
	path := install(t, dir, "echo", "echo")
	opts, logs := fastOptions(dir)
	var mu sync.Mutex
	var observed []string
	opts.Observe = func(channel, method string, took time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		observed = append(observed, fmt.Sprintf("%s %s %v", channel, method, err))
	}
	m, err := start(t, opts, echoSpec("support", "hello"), echoSpec("sales", "howdy"))
	if err != nil {
		t.Fatal(err)
	}

	got, err := deliver(t.Context(), handleOf(t, m, "support"), "hi")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.ThreadRef) != "thread-c1" || got.DeskMessageID != "hello:hi" {
		t.Errorf("support Deliver = %q %q, want thread-c1 hello:hi", got.ThreadRef, got.DeskMessageID)
	}
	got, err = deliver(t.Context(), handleOf(t, m, "sales"), "hi")
	if err != nil || got.DeskMessageID != "howdy:hi" {
		t.Errorf("sales Deliver = %q, %v; want howdy:hi", got.DeskMessageID, err)
	}

	hook, err := handleOf(t, m, "support").HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "support https://parley.example/hooks/support"; string(hook.Body) != want {
		t.Errorf("plugin was configured with name and hook URL %q, want %q", hook.Body, want)
	}

	st := statusOf(t, m, "support")
	if st.State != StateRunning || st.Plugin != "echo" || st.Path != path || st.Version != "1.2.3" ||
		st.SHA256 != sha(t, path) || !st.Capabilities.Threads || st.Restarts != 0 || st.LastError != "" ||
		st.StartedAt.IsZero() {
		t.Errorf("status = %+v", st)
	}
	if c := st.Calls["Deliver"]; c.Count != 1 || c.Errors != 0 {
		t.Errorf("Deliver calls = %+v, want 1 without errors", c)
	}
	mu.Lock()
	if got := strings.Join(observed, ", "); got != "support Deliver <nil>, sales Deliver <nil>, support HandleWebhook <nil>" {
		t.Errorf("observed calls: %s", got)
	}
	mu.Unlock()
	if _, ok := m.Channel("nope"); ok {
		t.Error("Channel(unknown name) reported a channel")
	}
	// The plugin's own stderr (hclog JSON) shows under the channel's name.
	eventually(t, "the plugin's log shows under its channel", func() bool {
		return strings.Contains(logs.String(), "parley.plugin.support.parley-channel-echo: plugin address")
	})
}

func TestPluginRepliesReachTheHostOfItsChannel(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	hosts := map[string]*recordingHost{}
	opts.Host = func(channel string) sdk.Host {
		h := &recordingHost{channel: channel}
		hosts[channel] = h
		return h
	}
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := deliver(t.Context(), handleOf(t, m, "support"), "reply")
	if err != nil {
		t.Fatal(err)
	}
	if got.DeskMessageID != "conv-for-support" {
		t.Errorf("plugin saw PostReply result %q, want conv-for-support", got.DeskMessageID)
	}
	if r := hosts["support"].got(); len(r) != 1 || r[0].Text != "hi from the desk" || string(r[0].ThreadRef) != "thread-c1" {
		t.Errorf("host got replies %+v", r)
	}
}

func TestStartFailuresAreClearAndFast(t *testing.T) {
	echoBytes := func(t *testing.T) []byte { return readFile(t, fixtures+"/echo") }
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) Spec
		opts    func(*Options)
		want    error
		message []string
	}{
		{
			name:    "binary missing",
			setup:   func(t *testing.T, dir string) Spec { return echoSpec("support", "x") },
			want:    ErrNotFound,
			message: []string{`channel "support"`, "looked for", "/parley-channel-echo", "named parley-channel-echo"},
		},
		{
			name: "not executable",
			setup: func(t *testing.T, dir string) Spec {
				writeFile(t, dir, "echo", echoBytes(t), 0o644)
				return echoSpec("support", "x")
			},
			want:    ErrNotExecutable,
			message: []string{"parley-channel-echo has mode -rw-r--r--", "chmod +x"},
		},
		{
			name: "a directory",
			setup: func(t *testing.T, dir string) Spec {
				if err := os.Mkdir(dir+"/parley-channel-echo", 0o755); err != nil {
					t.Fatal(err)
				}
				return echoSpec("support", "x")
			},
			want:    ErrNotExecutable,
			message: []string{"is a directory"},
		},
		{
			name: "a script that prints something",
			setup: func(t *testing.T, dir string) Spec {
				writeFile(t, dir, "echo", []byte("#!/bin/sh\necho 'usage: tool [flags]'\nsleep 30\n"), 0o755)
				return echoSpec("support", "x")
			},
			want:    ErrNotPlugin,
			message: []string{`printed "usage: tool [flags]" instead of the plugin handshake`},
		},
		{
			name: "a copy of /bin/true",
			setup: func(t *testing.T, dir string) Spec {
				writeFile(t, dir, "echo", readFile(t, "/bin/true"), 0o755)
				return echoSpec("support", "x")
			},
			want:    ErrNotPlugin,
			message: []string{"parley-channel-echo exited without the plugin handshake"},
		},
		{
			name: "an executable that is no program",
			setup: func(t *testing.T, dir string) Spec {
				writeFile(t, dir, "echo", []byte("just text\n"), 0o755)
				return echoSpec("support", "x")
			},
			want:    ErrNotExecutable,
			message: []string{"exec format error"},
		},
		{
			name: "a program that never answers",
			setup: func(t *testing.T, dir string) Spec {
				writeFile(t, dir, "echo", []byte("#!/bin/sh\nexec sleep 30\n"), 0o755)
				return echoSpec("support", "x")
			},
			opts:    func(o *Options) { o.StartTimeout = 500 * time.Millisecond },
			want:    ErrStartTimeout,
			message: []string{"did not complete the plugin handshake within 500ms"},
		},
		{
			name: "crash at start",
			setup: func(t *testing.T, dir string) Spec {
				install(t, dir, "crashy", "crashstart")
				return Spec{Name: "support", Plugin: "crashy", Config: json.RawMessage(`{}`)}
			},
			want:    ErrCrashed,
			message: []string{"exited with status 2", "cannot open state file: permission denied"},
		},
		{
			name: "protocol version mismatch",
			setup: func(t *testing.T, dir string) Spec {
				install(t, dir, "old", "badproto")
				return Spec{Name: "support", Plugin: "old"}
			},
			want:    ErrProtocolMismatch,
			message: []string{"speaks protocol 2, this host speaks 1"},
		},
		{
			name: "checksum mismatch",
			setup: func(t *testing.T, dir string) Spec {
				install(t, dir, "echo", "echo")
				s := echoSpec("support", "x")
				s.SHA256 = strings.Repeat("ab", 32)
				return s
			},
			want:    ErrChecksumMismatch,
			message: []string{"expected sha256 " + strings.Repeat("ab", 32) + ", actual "},
		},
		{
			name: "config rejected",
			setup: func(t *testing.T, dir string) Spec {
				install(t, dir, "echo", "echo")
				return Spec{Name: "support", Plugin: "echo", Config: json.RawMessage(`{"colour":"red"}`)}
			},
			want: ErrConfigRejected,
			message: []string{"channels.support.config.greeting: is required",
				"channels.support.config.colour: unknown key"},
		},
		{
			name: "empty config rejected",
			setup: func(t *testing.T, dir string) Spec {
				install(t, dir, "echo", "echo")
				return Spec{Name: "support", Plugin: "echo"}
			},
			want:    ErrConfigRejected,
			message: []string{`channel "support": config rejected: channels.support.config.greeting: is required`},
		},
		{
			name:    "plugin name with a path",
			setup:   func(t *testing.T, dir string) Spec { return Spec{Name: "support", Plugin: "../echo"} },
			want:    ErrInvalidSpec,
			message: []string{`plugin name "../echo" must be a plain name`},
		},
		{
			name:    "malformed pin",
			setup:   func(t *testing.T, dir string) Spec { s := echoSpec("support", "x"); s.SHA256 = "abc"; return s },
			want:    ErrInvalidSpec,
			message: []string{"sha256 pin must be 64 hex digits"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			spec := tt.setup(t, dir)
			opts, _ := fastOptions(dir)
			if tt.opts != nil {
				tt.opts(&opts)
			}
			began := time.Now()
			m, err := start(t, opts, spec)
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("the failure took %s to report", took)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Start error = %v, want %v", err, tt.want)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, want := range tt.message {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			st := statusOf(t, m, "support")
			if st.State != StateFailed || st.LastError != msg {
				t.Errorf("status = %s %q, want failed with the start error", st.State, st.LastError)
			}
			_, err = deliver(t.Context(), handleOf(t, m, "support"), "hi")
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "plugin support has failed") {
				t.Errorf("Deliver to a failed channel: %v", err)
			}
		})
	}
}

func TestConfigRejectionListsEachKey(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	_, err := start(t, opts, Spec{Name: "support", Plugin: "echo", Config: json.RawMessage(`{"colour":"red"}`)})
	var rejected *ConfigRejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("error %v is not a ConfigRejectedError", err)
	}
	var keys []string
	for _, p := range rejected.Problems {
		keys = append(keys, rejected.KeyPath(p.Key))
	}
	if len(keys) != 2 || !strings.Contains(strings.Join(keys, " "), "channels.support.config.colour") {
		t.Errorf("problems at %v, want colour and greeting", keys)
	}
}

func TestPinIsCaseInsensitive(t *testing.T) {
	dir := t.TempDir()
	path := install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	s := echoSpec("support", "hello")
	s.SHA256 = " " + strings.ToUpper(sha(t, path)) + " "
	m, err := start(t, opts, s)
	if err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m, "support"); st.State != StateRunning {
		t.Errorf("state %s, want running", st.State)
	}
}

func TestCheckReportsEveryProblemAndStopsAll(t *testing.T) {
	dir := t.TempDir()
	path := install(t, dir, "echo", "echo")
	install(t, dir, "old", "badproto")
	opts, _ := fastOptions(dir)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	statuses, err := Check(ctx, opts, []Spec{
		echoSpec("support", "hello"),
		{Name: "desk", Plugin: "missing"},
		{Name: "legacy", Plugin: "old"},
		{Name: "sales", Plugin: "echo", Config: json.RawMessage(`{}`)},
		echoSpec("support", "again"),
	})
	for _, want := range []error{ErrNotFound, ErrProtocolMismatch, ErrConfigRejected, ErrInvalidSpec} {
		if !errors.Is(err, want) {
			t.Errorf("Check error %v does not report %v", err, want)
		}
	}
	if errors.Is(err, ErrCrashed) || strings.Contains(err.Error(), `channel "support": c`) {
		t.Errorf("Check reported the good channel: %v", err)
	}
	want := map[string]State{"support": StateStopped, "desk": StateFailed, "legacy": StateFailed, "sales": StateFailed}
	if len(statuses) != len(want) {
		t.Fatalf("got %d statuses, want %d", len(statuses), len(want))
	}
	for _, st := range statuses {
		if st.State != want[st.Name] {
			t.Errorf("%s: state %s, want %s", st.Name, st.State, want[st.Name])
		}
	}
	if statuses[0].Version != "1.2.3" || statuses[0].SHA256 != sha(t, path) {
		t.Errorf("good channel status lacks version or checksum: %+v", statuses[0])
	}
}

func pidOf(t *testing.T, ch sdk.Channel) int {
	t.Helper()
	got, err := deliver(t.Context(), ch, "pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(got.DeskMessageID)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestKilledPluginIsRestartedAndReconfigured(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, logs := fastOptions(dir)
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	old := pidOf(t, ch)
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var got sdk.DeliverResponse
	eventually(t, "the restarted plugin answers", func() bool {
		got, err = deliver(t.Context(), ch, "again")
		return err == nil
	})
	if got.DeskMessageID != "hello:again" {
		t.Errorf("restarted plugin answered %q: not configured with its greeting", got.DeskMessageID)
	}
	if pid := pidOf(t, ch); pid == old {
		t.Errorf("still pid %d after SIGKILL", pid)
	}
	st := statusOf(t, m, "support")
	if st.State != StateRunning || st.Restarts != 1 || !strings.Contains(st.LastError, "signal: killed") {
		t.Errorf("status after restart = %s, %d restarts, last error %q", st.State, st.Restarts, st.LastError)
	}
	if l := logs.String(); !strings.Contains(l, "[WARN]  parley.plugin.support: restarting plugin: channel=support attempt=1") {
		t.Errorf("no warning about the restart in logs:\n%s", l)
	}
}

func TestCallsFailFastWhileRestarting(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	opts.MinBackoff = 3 * time.Second // keep the channel down long enough to call it
	opts.MaxBackoff = 3 * time.Second
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	if err := syscall.Kill(pidOf(t, ch), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the channel is restarting", func() bool { return statusOf(t, m, "support").State == StateRestarting })

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	_, err = deliver(ctx, ch, "hi")
	if !errors.Is(err, ErrUnavailable) || !strings.HasPrefix(err.Error(), "plugin support is restarting") {
		t.Fatalf("Deliver while restarting: %v", err)
	}
	if d, ok := sdk.RetryHint(err); !ok || d <= 0 {
		t.Errorf("error carries no retry hint (%v, %v)", d, ok)
	}
	if sdk.IsPermanent(err) {
		t.Error("restarting error is marked permanent")
	}
	eventually(t, "the plugin is back", func() bool {
		_, err := deliver(t.Context(), ch, "hi")
		return err == nil
	})
}

func TestDeliverThatKillsThePluginIsRetryable(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	_, err = deliver(t.Context(), ch, "exit")
	if _, ok := sdk.RetryHint(err); !ok || sdk.IsPermanent(err) {
		t.Fatalf("Deliver that killed the plugin: %v; want a retryable error", err)
	}
	eventually(t, "the plugin is back", func() bool {
		got, err := deliver(t.Context(), ch, "hi")
		return err == nil && got.DeskMessageID == "hello:hi"
	})
	if st := statusOf(t, m, "support"); !strings.Contains(st.LastError, "exited with status 3") {
		t.Errorf("last error %q does not say how it died", st.LastError)
	}
}

func TestUnconfiguredPluginIsRestarted(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	_, err = deliver(t.Context(), ch, "forget")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Deliver to a plugin that lost its config: %v", err)
	}
	eventually(t, "the plugin is configured again", func() bool {
		got, err := deliver(t.Context(), ch, "hi")
		return err == nil && got.DeskMessageID == "hello:hi"
	})
	if st := statusOf(t, m, "support"); st.Restarts != 1 {
		t.Errorf("restarts = %d, want 1", st.Restarts)
	}
}

func TestHungPluginIsRestarted(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	old := pidOf(t, ch)
	if err := syscall.Kill(old, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new process answers", func() bool {
		got, err := deliver(t.Context(), ch, "pid")
		return err == nil && got.DeskMessageID != strconv.Itoa(old)
	})
	if st := statusOf(t, m, "support"); !strings.Contains(st.LastError, "health check failed") {
		t.Errorf("last error %q does not blame the health check", st.LastError)
	}
}

func TestGivesUpAfterRepeatedFailures(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, logs := fastOptions(dir)
	opts.MaxFailures = 3
	m, err := start(t, opts, Spec{Name: "support", Plugin: "echo",
		Config: json.RawMessage(`{"greeting":"hello","exit_after":"150ms"}`)})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the channel has failed", func() bool { return statusOf(t, m, "support").State == StateFailed })
	st := statusOf(t, m, "support")
	if st.Restarts != 2 || !strings.Contains(st.LastError, "gave up after 3 failures") ||
		!strings.Contains(st.LastError, "exited with status 3") {
		t.Errorf("failed status: %d restarts, last error %q", st.Restarts, st.LastError)
	}
	l := logs.String()
	if !strings.Contains(l, "attempt=2") || strings.Contains(l, "attempt=3") {
		t.Errorf("want restart attempts 1 and 2 logged, not 3:\n%s", l)
	}
	_, err = deliver(t.Context(), handleOf(t, m, "support"), "hi")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "plugin support has failed: gave up") {
		t.Errorf("Deliver to the failed channel: %v", err)
	}
	// A real process and real timers: no sentinel can follow a restart that
	// does not happen, so wait out MaxBackoff (200ms) with a margin. This is
	// a bound, not a proof: on a slow machine a wrong restart could land later.
	time.Sleep(300 * time.Millisecond)
	if st := statusOf(t, m, "support"); st.State != StateFailed || st.Restarts != 2 {
		t.Errorf("after giving up: %s with %d restarts", st.State, st.Restarts)
	}
}

func TestCloseStopsEveryPlugin(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	m := New(opts)
	if err := m.Start(t.Context(), []Spec{echoSpec("support", "a"), echoSpec("sales", "b")}); err != nil {
		t.Fatal(err)
	}
	pids := []int{pidOf(t, handleOf(t, m, "support")), pidOf(t, handleOf(t, m, "sales"))}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		// Reaped by go-plugin, so the pid no longer exists at all.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("plugin process %d still exists after Close (kill 0: %v)", pid, err)
		}
	}
	for _, st := range m.Status() {
		if st.State != StateStopped {
			t.Errorf("%s: state %s after Close", st.Name, st.State)
		}
	}
	_, err := deliver(t.Context(), handleOf(t, m, "support"), "hi")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "plugin support is stopped") {
		t.Errorf("Deliver after Close: %v", err)
	}
	if err := m.Start(t.Context(), nil); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func batchOf(texts ...string) pluginclient.DeliverBatchRequest {
	req := pluginclient.DeliverBatchRequest{Conversation: sdk.Conversation{ID: "c1"}}
	for _, s := range texts {
		req.Items = append(req.Items, pluginclient.BatchItem{Message: sdk.Message{ID: "m-" + s, Kind: sdk.KindText, Text: s}})
	}
	return req
}

// A run of messages crosses to the plugin process in one call, and what an
// item's failure means is judged as for a single Deliver.
func TestBatchCrossesInOneCall(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	m, err := start(t, opts, echoSpec("support", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")

	resp := pluginclient.DeliverBatch(t.Context(), ch, batchOf("a", "b", "c"))
	if resp.Err != nil {
		t.Fatal(resp.Err)
	}
	var got []string
	for _, d := range resp.Delivered {
		got = append(got, d.DeskMessageID+"@"+string(d.ThreadRef))
	}
	if want := "[hello:a@thread-c1 hello:b@thread-c1 hello:c@thread-c1]"; fmt.Sprint(got) != want {
		t.Errorf("delivered %v, want %s", got, want)
	}
	st := statusOf(t, m, "support")
	if c := st.Calls["DeliverBatch"]; c.Count != 1 || st.Calls["Deliver"].Count != 0 {
		t.Errorf("calls %+v: want one DeliverBatch and no Deliver", st.Calls)
	}

	// An item that finds the plugin unconfigured: the items before it
	// stand, and the rest is retried once the plugin is configured again.
	resp = pluginclient.DeliverBatch(t.Context(), ch, batchOf("a", "forget", "c"))
	if len(resp.Delivered) != 1 || resp.Delivered[0].DeskMessageID != "hello:a" {
		t.Fatalf("delivered %+v, want the first item only", resp.Delivered)
	}
	if _, ok := sdk.RetryHint(resp.Err); !ok || !errors.Is(resp.Err, ErrUnavailable) {
		t.Fatalf("error %v: want a retryable 'restarting' error", resp.Err)
	}
	eventually(t, "the plugin is configured again", func() bool {
		r := pluginclient.DeliverBatch(t.Context(), ch, batchOf("c"))
		return r.Err == nil && len(r.Delivered) == 1
	})

	// A plugin that dies mid-batch reports nothing delivered: the whole run
	// is retried (a duplicate carries the same message id).
	resp = pluginclient.DeliverBatch(t.Context(), ch, batchOf("a", "exit", "c"))
	if len(resp.Delivered) != 0 {
		t.Fatalf("delivered %+v from a plugin that died", resp.Delivered)
	}
	if _, ok := sdk.RetryHint(resp.Err); !ok || sdk.IsPermanent(resp.Err) {
		t.Fatalf("error %v: want a retryable error", resp.Err)
	}
}

// A reload adds a channel to a running manager and removes another: the
// new one answers with its own config, the removed one's process is gone
// and its name no longer resolves, and the untouched one keeps its process.
func TestAddAndRemoveWhileRunning(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "echo", "echo")
	opts, _ := fastOptions(dir)
	m, err := start(t, opts, echoSpec("support", "hello"), echoSpec("sales", "howdy"))
	if err != nil {
		t.Fatal(err)
	}
	kept := pidOf(t, handleOf(t, m, "support"))
	removed := pidOf(t, handleOf(t, m, "sales"))

	if err := m.Add(t.Context(), echoSpec("billing", "moin")); err != nil {
		t.Fatal(err)
	}
	if got, err := deliver(t.Context(), handleOf(t, m, "billing"), "hi"); err != nil || got.DeskMessageID != "moin:hi" {
		t.Errorf("billing Deliver = %q, %v; want moin:hi", got.DeskMessageID, err)
	}
	if err := m.Add(t.Context(), echoSpec("billing", "again")); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("adding a running name again: %v, want ErrInvalidSpec", err)
	}
	if err := m.Add(t.Context(), Spec{Name: "broken", Plugin: "missing"}); err == nil {
		t.Error("adding a channel whose plugin is missing succeeded")
	}
	if _, ok := m.Channel("broken"); ok {
		t.Error("a channel that failed to start was added")
	}

	if err := m.Remove(t.Context(), "sales"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Channel("sales"); ok {
		t.Error("the removed channel still resolves")
	}
	if err := syscall.Kill(removed, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("removed channel's plugin %d still exists (kill 0: %v)", removed, err)
	}
	if err := m.Remove(t.Context(), "sales"); err != nil {
		t.Errorf("removing it again: %v", err)
	}
	if pid := pidOf(t, handleOf(t, m, "support")); pid != kept {
		t.Errorf("the untouched channel's plugin changed from %d to %d", kept, pid)
	}
	var names []string
	for _, st := range m.Status() {
		names = append(names, st.Name)
	}
	if got := strings.Join(names, ","); got != "support,billing" {
		t.Errorf("status lists %s, want support,billing", got)
	}
}
