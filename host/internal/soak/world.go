package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/internal/procstat"
	"github.com/parley-dev/parley/host/internal/scratchdb"
	"github.com/parley-dev/parley/host/internal/testworld"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// deskSecret signs the webhook plugin's traffic both ways; a throwaway
// value for a local run.
const deskSecret = "soak-desk-secret-0123456789abcdef"

// channelName is the desk channel in the config (and /hooks/<name>).
const channelName = "desk"

// pluginBinary is the plugin every host runs.
const pluginBinary = "parley-channel-webhook"

// world is one soak's running parts: fake Telegram, the desk, and one
// bin/parley process per replica.
type world struct {
	o    options
	dir  string
	tg   *telegramtest.Server
	desk *webhookdesk.Desk
	// db is the soak's own PostgreSQL database (postgres driver only); the
	// chaos driver terminates its connections and nobody else's.
	db    *scratchdb.Database
	hosts []*host
}

// host is one replica: a bin/parley process, restarted after every kill.
type host struct {
	name, config, public, logPath string
	bin                           string
	env                           []string // added to the soak's environment

	// logf writes a progress line.
	logf func(format string, args ...any)

	startMu sync.Mutex // one start at a time (chaos and the supervisor)
	mu      sync.Mutex
	cmd     *exec.Cmd
	up      *exec.Cmd // cmd, once it answered /healthz
	exited  chan struct{}
	// failedStarts and exits count the times the host exited without
	// being asked: during start, and after it.
	failedStarts, exits int
	stopped             bool // stop was called: no more starts
	// pgids are the process groups of every start: a SIGKILLed host leaves
	// its plugin behind like a real crash, and the end of the run reaps it.
	pgids []int
}

// startWorld starts the fakes and the hosts.
func startWorld(ctx context.Context, o options, logf func(format string, args ...any)) (_ *world, err error) {
	w := &world{o: o}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "parley-soak-"); err != nil {
		return nil, err
	}
	if w.tg, err = testworld.StartTelegram(); err != nil {
		return nil, err
	}
	if w.desk, err = testworld.StartDesk(deskSecret); err != nil {
		return nil, err
	}
	storeTOML := fmt.Sprintf("driver = \"sqlite\"\ndsn = %q", filepath.Join(w.dir, "parley.db"))
	if o.driver == "postgres" {
		if w.db, err = scratchdb.Create(ctx, o.postgresDSN, "parley_soak_"); err != nil {
			return nil, fmt.Errorf("-postgres-dsn: %w", err)
		}
		storeTOML = fmt.Sprintf("driver = \"postgres\"\ndsn = %q", w.db.DSN)
	}
	env := []string{"SOAK_TELEGRAM_TOKEN=" + w.tg.Token(), "SOAK_DESK_SECRET=" + deskSecret}
	for i := range o.replicas {
		h := &host{name: "r" + strconv.Itoa(i), bin: o.parleyBin, env: env, logf: logf}
		addrs, err := testworld.FreeAddrs(2)
		if err != nil {
			return nil, err
		}
		public, admin := addrs[0], addrs[1]
		h.public = "http://" + public
		cfg := fmt.Sprintf(configTemplate, w.tg.URL(), public, h.public, admin, storeTOML, o.pluginsDir,
			channelName, channelName, w.desk.URL())
		h.config = filepath.Join(w.dir, h.name+".toml")
		h.logPath = filepath.Join(w.dir, h.name+".log")
		if err := os.WriteFile(h.config, []byte(cfg), 0o600); err != nil {
			return nil, err
		}
		w.hosts = append(w.hosts, h)
	}
	for _, h := range w.hosts {
		if err := h.start(ctx); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// configTemplate is every replica's config: polling (one poller among the
// replicas), no welcome message (every Telegram send is an agent reply),
// the default run length, and retry backoff short enough that a restart
// does not leave the drain waiting on a five-minute timer.
const configTemplate = `
[telegram]
token = "${SOAK_TELEGRAM_TOKEN}"
api_url = %q
poll_timeout = "1s"
welcome_message = ""

[server]
listen = %q
public_url = %q

[admin]
listen = %q

[store]
%s

[plugins]
dir = %q

[dispatch]
initial_backoff = "200ms"
max_backoff = "5s"

[log]
level = "info"

[channels.%s]
plugin = "webhook"
[channels.%s.config]
url = %q
secret = "${SOAK_DESK_SECRET}"
timeout = "10s"
`

// terminateConnections ends every server connection to the soak's own
// database (not this one's, which is to the maintenance database) and
// returns how many it ended.
func (w *world) terminateConnections(ctx context.Context) (int, error) {
	conn, err := pgx.Connect(ctx, w.o.postgresDSN)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()) t`, w.db.Name).Scan(&n)
	return n, err
}

// close stops every host gracefully, reaps what is left of their process
// groups, drops the soak's database and removes the temp dir (unless kept).
func (w *world) close() {
	for _, h := range w.hosts {
		h.stop()
	}
	for _, h := range w.hosts {
		h.reap()
	}
	if w.desk != nil {
		w.desk.Close()
	}
	if w.tg != nil {
		w.tg.Close()
	}
	if w.db != nil {
		w.db.Drop()
	}
	if w.dir != "" && !w.o.keep {
		_ = os.RemoveAll(w.dir)
	}
}

// hookURL is where replica h takes agent replies.
func (h *host) hookURL() string { return h.public + "/hooks/" + channelName }

// start runs the host and waits until its public listener answers. Like
// systemd's Restart=on-failure in deploy/parley.service (with 1 s instead
// of 5 s between tries, to keep the run moving), a host that exits during
// start is started again, up to maxStarts times; each such exit is counted.
func (h *host) start(ctx context.Context) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	h.mu.Lock()
	running, stopped := h.cmd != nil, h.stopped
	h.mu.Unlock()
	if running || stopped {
		return nil // the supervisor restarted it already, or the run is over
	}
	for attempt := 1; ; attempt++ {
		err := h.startOnce(ctx)
		if !errors.Is(err, testworld.ErrExited) || attempt == maxStarts {
			return err
		}
		h.mu.Lock()
		h.failedStarts++
		h.mu.Unlock()
		h.logf("%s exited during start; starting it again: %s", h.name, lastLine(h.tail(2000)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// maxStarts bounds how often start tries before the soak gives up.
const maxStarts = 10

func (h *host) startOnce(ctx context.Context) error {
	logf, err := os.OpenFile(h.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	fmt.Fprintf(logf, "==== soak: start %s at %s\n", h.name, time.Now().Format(time.RFC3339Nano))
	// Its own process group, so the plugin a SIGKILL leaves behind can be
	// reaped at the end.
	cmd := testworld.ParleyCommand(h.bin, h.config, h.env, logf)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", h.bin, err)
	}
	exited := make(chan struct{})
	go h.watch(cmd, exited)
	h.mu.Lock()
	h.cmd, h.exited = cmd, exited
	h.pgids = append(h.pgids, cmd.Process.Pid)
	h.mu.Unlock()
	_, err = testworld.WaitHealthy(ctx, h.public, exited, 50*time.Millisecond, 60*time.Second)
	switch {
	case err == nil:
		h.mu.Lock()
		h.up = cmd
		h.mu.Unlock()
		return nil
	case errors.Is(err, testworld.ErrExited):
		h.mu.Lock()
		h.cmd = nil
		h.mu.Unlock()
		return fmt.Errorf("%s %w", h.name, err)
	case errors.Is(err, testworld.ErrTimeout):
		return fmt.Errorf("%s did not start within 60s; log:\n%s", h.name, h.tail(3000))
	}
	return err
}

// watch waits for cmd and, when a host that was up exits without the soak
// killing or stopping it, counts that and starts it again (the supervisor).
func (h *host) watch(cmd *exec.Cmd, exited chan struct{}) {
	_ = cmd.Wait()
	close(exited)
	h.mu.Lock()
	unasked := h.cmd == cmd && h.up == cmd
	if unasked {
		h.cmd = nil
		h.exits++
	}
	h.mu.Unlock()
	if !unasked {
		return
	}
	h.logf("%s exited on its own; starting it again: %s", h.name, lastLine(h.tail(2000)))
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.start(ctx); err != nil {
		h.logf("%s: restart failed: %v", h.name, err)
	}
}

// lastLine is the last line of s.
func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// unasked returns how often the host exited during start, and after it,
// without being killed.
func (h *host) unasked() (failedStarts, exits int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failedStarts, h.exits
}

// pid is the running host's pid, 0 when it is down.
func (h *host) pid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd == nil {
		return 0
	}
	return h.cmd.Process.Pid
}

// kill sends SIGKILL to the host alone: its plugin lives on as an orphan
// until it notices, as after a real crash. It reports false if the host
// was down.
func (h *host) kill() bool {
	h.mu.Lock()
	cmd, exited := h.cmd, h.exited
	h.cmd = nil
	h.mu.Unlock()
	if cmd == nil {
		return false
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	return true
}

// stop shuts the host down with SIGTERM, then SIGKILL after 30 s.
func (h *host) stop() {
	h.startMu.Lock() // no restart after this
	defer h.startMu.Unlock()
	h.mu.Lock()
	h.stopped = true
	cmd, exited := h.cmd, h.exited
	h.cmd = nil
	h.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// reap kills whatever is left in the process groups this host started.
func (h *host) reap() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, g := range h.pgids {
		_ = syscall.Kill(-g, syscall.SIGKILL)
	}
}

// pluginPID is the webhook plugin child of the running host, 0 if none.
func (h *host) pluginPID() int {
	pid := h.pid()
	if pid == 0 {
		return 0
	}
	for _, child := range procstat.Children(pid) {
		if filepath.Base(procstat.Executable(child)) == pluginBinary {
			return child
		}
	}
	return 0
}

// tail returns the last n bytes of the host's log.
func (h *host) tail(n int64) string {
	f, err := os.Open(h.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}
