package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parley-dev/parley/host/app"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/internal/testworld"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
)

// arm is how the host and the desk channel run in a scenario.
type arm int

const (
	// armBaseline runs the host in this process (app.Run) with the desk
	// channel in-process too: no plugin boundary.
	armBaseline arm = iota
	// armPlugin runs the same app.Run in this process with the real
	// parley-channel-webhook as a go-plugin process: the baseline plus the
	// boundary and nothing else.
	armPlugin
	// armBinary runs bin/parley as a child process with its plugin, as
	// shipped: the only arm where host memory is the host's alone.
	armBinary
)

func (a arm) String() string {
	switch a {
	case armBaseline:
		return "baseline"
	case armPlugin:
		return "plugin"
	default:
		return "binary"
	}
}

func armByName(name string) (arm, bool) {
	for _, a := range []arm{armBaseline, armPlugin, armBinary} {
		if a.String() == name {
			return a, true
		}
	}
	return 0, false
}

// worldConfig says what to start.
type worldConfig struct {
	arm        arm
	pluginsDir string
	parleyBin  string
	// deskProcess puts the receiving desk in a child process (see
	// deskproc.go); the in-process desk still serves the reply scenarios.
	deskProcess bool
}

// deskSecret signs the webhook plugin's traffic in both directions; it is
// a throwaway value for a local benchmark.
const deskSecret = "bench-desk-secret-0123456789abcdef"

// channelName is the desk channel's name in the config (and /hooks/<name>).
const channelName = "desk"

// world is one scenario's set of running parts.
type world struct {
	tg   *telegramtest.Server
	desk *webhookdesk.Desk
	// receiver is the desk the webhook plugin posts to: desk, or the
	// desk process.
	receiver deskReceiver
	dir      string
	public   string // base URL of the host's public listener

	host     *exec.Cmd // armBinary only
	cancel   context.CancelFunc
	done     chan error // app.Run's result (in-process arms)
	logs     *lockedBuffer
	hostPID  int
	stopOnce sync.Once
}

// startWorld starts fake Telegram, the desk and a host, and waits until the
// host answers on its public listener and has configured the desk channel.
func startWorld(ctx context.Context, wc worldConfig) (_ *world, err error) {
	w := &world{logs: &lockedBuffer{}}
	defer func() {
		if err != nil {
			w.stop()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "parley-bench-"); err != nil {
		return nil, err
	}
	if w.tg, err = testworld.StartTelegram(); err != nil {
		return nil, err
	}
	if w.desk, err = testworld.StartDesk(deskSecret); err != nil {
		return nil, err
	}
	w.receiver = w.desk
	if wc.deskProcess {
		proc, err := startDeskProcess()
		if err != nil {
			return nil, err
		}
		w.receiver = proc
	}
	addrs, err := testworld.FreeAddrs(2)
	if err != nil {
		return nil, err
	}
	publicAddr, adminAddr := addrs[0], addrs[1]
	w.public = "http://" + publicAddr
	toml := fmt.Sprintf(configTemplate, w.tg.URL(), publicAddr, w.public, adminAddr,
		filepath.Join(w.dir, "parley.db"), wc.pluginsDir, channelName, channelName, w.receiver.URL())
	env := map[string]string{"BENCH_TELEGRAM_TOKEN": w.tg.Token(), "BENCH_DESK_SECRET": deskSecret}

	switch wc.arm {
	case armBinary:
		err = w.startBinary(wc.parleyBin, toml, env)
	default:
		err = w.startInProcess(ctx, wc.arm, toml, env)
	}
	if err != nil {
		return nil, err
	}
	return w, w.waitHealthy(ctx)
}

// configTemplate is the host config of every scenario: SQLite, polling,
// info logs, defaults everywhere else (dispatch concurrency 64, the
// sender's rate limits).
const configTemplate = `
[telegram]
token = "${BENCH_TELEGRAM_TOKEN}"
api_url = %q
poll_timeout = "1s"
welcome_message = ""
` + hostConfigTail

// hostConfigTail is every benchmark host's config after its Telegram part:
// the listeners, the store, the plugins and the webhook desk channel.
const hostConfigTail = `
[server]
listen = %q
public_url = %q

[admin]
listen = %q

[store]
dsn = %q

[plugins]
dir = %q

[log]
level = "warn"

[channels.%s]
plugin = "webhook"
[channels.%s.config]
url = %q
secret = "${BENCH_DESK_SECRET}"
timeout = "10s"
`

func (w *world) startInProcess(ctx context.Context, a arm, toml string, env map[string]string) error {
	cfg, err := config.Parse("bench.toml", []byte(toml), func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	opts := app.RunOptions{Stderr: w.logs}
	if a == armBaseline {
		opts.InProcess = map[string]sdk.Channel{channelName: webhookchannel.New(webhookchannel.Options{})}
	}
	runCtx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	w.done = make(chan error, 1)
	w.hostPID = os.Getpid()
	go func() { w.done <- app.Run(runCtx, cfg, opts) }()
	return nil
}

func (w *world) startBinary(bin, toml string, env map[string]string) error {
	path := filepath.Join(w.dir, "parley.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		return err
	}
	var vars []string
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	cmd := testworld.ParleyCommand(bin, path, vars, w.logs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	w.host = cmd
	w.hostPID = cmd.Process.Pid
	w.done = make(chan error, 1)
	go func() { w.done <- cmd.Wait() }()
	return nil
}

// waitHealthy polls the public listener until the host serves it, which
// happens after its channels are configured.
func (w *world) waitHealthy(ctx context.Context) error {
	exit, err := testworld.WaitHealthy(ctx, w.public, w.done, 20*time.Millisecond, 30*time.Second)
	switch {
	case errors.Is(err, testworld.ErrExited):
		w.done <- exit // for stop
		return fmt.Errorf("host exited during start (%v); log:\n%s", exit, w.logs.tail(4000))
	case errors.Is(err, testworld.ErrTimeout):
		return fmt.Errorf("host did not start within 30s; log:\n%s", w.logs.tail(4000))
	}
	return err
}

// hookURL is where the desk posts agent replies.
func (w *world) hookURL() string { return w.public + "/hooks/" + channelName }

// stop shuts the host down gracefully and removes everything the world
// made. It returns the host's error, if it failed.
func (w *world) stop() error {
	var err error
	w.stopOnce.Do(func() {
		switch {
		case w.host != nil:
			_ = w.host.Process.Signal(syscall.SIGTERM)
			select {
			case err = <-w.done:
				var exit *exec.ExitError
				if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
					err = nil
				}
			case <-time.After(30 * time.Second):
				_ = syscall.Kill(-w.host.Process.Pid, syscall.SIGKILL)
				<-w.done
				err = errors.New("host did not stop within 30s of SIGTERM")
			}
		case w.cancel != nil:
			w.cancel()
			select {
			case err = <-w.done:
			case <-time.After(40 * time.Second):
				err = errors.New("host did not stop within 40s")
			}
		}
		if w.receiver != nil && w.receiver != deskReceiver(w.desk) {
			w.receiver.Close()
		}
		if w.desk != nil {
			w.desk.Close()
		}
		if w.tg != nil {
			w.tg.Close()
		}
		if w.dir != "" {
			_ = os.RemoveAll(w.dir)
		}
	})
	return err
}

// lockedBuffer collects a host's log for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns the last n bytes of the log.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
