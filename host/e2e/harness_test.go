package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

// binDir holds bin/parley and bin/plugins/parley-channel-* built once for
// the whole test binary.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode (they build and run real binaries)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "parley-e2e-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func build(dir string) error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	targets := map[string]string{
		"parley":                               "./host/cmd/parley",
		"plugins/parley-channel-webhook":       "./plugins/webhook",
		"plugins/parley-channel-slack":         "./plugins/slack",
		"plugins/parley-channel-helpscout":     "./plugins/helpscout",
		"plugins/parley-channel-hipchat":       "./plugins/hipchat",
		"plugins/parley-channel-telegramgroup": "./plugins/telegramgroup",
		// A desk that reports lifecycle actions (lifecycle_test.go).
		"plugins/parley-channel-actiondesk": "./host/e2e/internal/actiondesk",
	}
	for out, pkg := range targets {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return nil
}

// env is one end-to-end world: fake Telegram, the webhook desk and a
// parley process (restartable) with a SQLite store in a temp dir.
type env struct {
	t         *testing.T
	tg        *telegramtest.Server
	desk      *webhookdesk.Desk
	dir       string
	config    string
	public    string // http://host:port of parley's public listener
	admin     string
	secret    string
	mu        sync.Mutex
	logMu     sync.Mutex
	cmd       *exec.Cmd
	logs      *bytes.Buffer
	extraTOML string
	opts      envOptions
}

// envOptions change the world newEnvWith builds.
type envOptions struct {
	// Channels is the TOML of the [channels.*] tables; empty means the
	// webhook desk as [channels.desk].
	Channels string
	// Env are extra environment variables for parley (secrets the
	// channels' config reads with ${NAME}).
	Env map[string]string
	// ExtraTOML is appended to the config.
	ExtraTOML string
	// RunLength is dispatch.run_length; 0 keeps the default.
	RunLength int
	// Dispatch is more lines of the [dispatch] table.
	Dispatch string
}

const deskSecret = "desk-secret-for-e2e-0123456789"

func newEnv(t *testing.T, extraTOML string) *env {
	t.Helper()
	return newEnvWith(t, envOptions{ExtraTOML: extraTOML})
}

// newEnvWith is newEnv with other channels than the webhook desk (which
// still runs, unused, so e.desk is never nil).
func newEnvWith(t *testing.T, opts envOptions) *env {
	t.Helper()
	tg := telegramtest.New(telegramtest.Options{})
	if err := tg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	desk := webhookdesk.New(deskSecret)
	if err := desk.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(desk.Close)
	e := &env{t: t, tg: tg, desk: desk, dir: t.TempDir(), secret: deskSecret, logs: &bytes.Buffer{}, extraTOML: opts.ExtraTOML, opts: opts}
	e.public = "http://" + freeAddr(t)
	e.admin = "http://" + freeAddr(t)
	e.writeConfig()
	t.Cleanup(e.stop)
	return e
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (e *env) writeConfig() {
	cfg := fmt.Sprintf(`
[telegram]
token = "${E2E_TELEGRAM_TOKEN}"
api_url = %q
poll_timeout = "1s"
welcome_message = "Welcome to support!"

[server]
listen = %q
public_url = %q

[admin]
listen = %q

[store]
dsn = %q

[plugins]
dir = %q

[dispatch]
initial_backoff = "100ms"
max_backoff = "1s"
%s

[log]
level = "debug"

%s
%s
`, e.tg.URL(), strings.TrimPrefix(e.public, "http://"), e.public, strings.TrimPrefix(e.admin, "http://"),
		filepath.Join(e.dir, "parley.db"), filepath.Join(binDir, "plugins"), e.runLengthTOML(), e.channelsTOML(), e.extraTOML)
	e.config = filepath.Join(e.dir, "parley.toml")
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// runLengthTOML is the dispatch.run_length line, if the test sets one.
func (e *env) runLengthTOML() string {
	if e.opts.RunLength == 0 {
		return e.opts.Dispatch
	}
	return fmt.Sprintf("run_length = %d\n%s", e.opts.RunLength, e.opts.Dispatch)
}

// channelsTOML is the [channels.*] part of the config.
func (e *env) channelsTOML() string {
	if e.opts.Channels != "" {
		return e.opts.Channels
	}
	return fmt.Sprintf(`[channels.desk]
plugin = "webhook"
[channels.desk.config]
url = %q
secret = "${E2E_DESK_SECRET}"
timeout = "5s"
# The tests' file servers for reply attachments listen on 127.0.0.1.
allow_private_urls = true
`, e.desk.URL())
}

// start runs parley and waits until its public listener answers.
func (e *env) start() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	cmd := exec.Command(filepath.Join(binDir, "parley"), "run", "--config", e.config)
	cmd.Env = append(os.Environ(), "E2E_TELEGRAM_TOKEN="+e.tg.Token(), "E2E_DESK_SECRET="+e.secret)
	for k, v := range e.opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout = &lockedWriter{w: e.logs, mu: &e.logMu}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.cmd = cmd
	if testwait.Poll(20*time.Second, func() bool {
		resp, err := http.Get(e.public + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		return
	}
	e.mu.Unlock()
	e.t.Fatalf("parley did not start; log:\n%s", e.Logs())
	e.mu.Lock()
}

// kill sends SIGKILL to parley alone (its plugins live on as orphans until
// their go-plugin parent check notices, like after a real crash).
func (e *env) kill() {
	e.mu.Lock()
	cmd := e.cmd
	e.cmd = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// stop shuts parley down gracefully (SIGTERM), then kills what is left.
func (e *env) stop() {
	e.mu.Lock()
	cmd := e.cmd
	e.cmd = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		e.t.Errorf("parley did not stop within 30s of SIGTERM")
	}
}

// Logs returns everything parley printed.
func (e *env) Logs() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

func (e *env) hookURL() string { return e.public + "/hooks/desk" }

func (e *env) reply(r webhookdesk.Reply) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status, body, err := e.desk.SendReply(ctx, e.hookURL(), r)
	if err != nil {
		e.t.Fatal(err)
	}
	return status, body
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// waitUntil polls cond until it holds or timeout passes, and reports
// whether it held.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	return testwait.Poll(timeout, cond)
}
