package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/admin"
	"github.com/parley-dev/parley/host/avatar"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/filelink"
	"github.com/parley-dev/parley/host/httpserver"
	"github.com/parley-dev/parley/host/inbound"
	"github.com/parley-dev/parley/host/internal/supervise"
	"github.com/parley-dev/parley/host/logging"
	"github.com/parley-dev/parley/host/metrics"
	"github.com/parley-dev/parley/host/pluginhost"
	"github.com/parley-dev/parley/host/router"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/buttons"
	"github.com/parley-dev/parley/sdk"
)

// ErrReported means the command already printed its problems.
var ErrReported = errors.New("problems reported")

// RunOptions adjust Run for tests, benchmarks and the demo.
type RunOptions struct {
	// Stderr receives the log (os.Stderr when nil).
	Stderr io.Writer
	// InProcess replaces plugin processes with in-process channels, by
	// channel name (the benchmark's baseline without a plugin boundary).
	InProcess map[string]sdk.Channel
	// Ready is called once everything is listening.
	Ready func(Addrs)
	// ConfigPath is the file SIGHUP rereads ("" turns reloading off);
	// ConfigRevision is the sha256 of the file cfg was read from.
	ConfigPath     string
	ConfigRevision string
}

// Addrs are the addresses the host listens on.
type Addrs struct {
	Public net.Addr
	Admin  net.Addr
}

// shutdownGrace bounds each stage of a graceful shutdown.
const shutdownGrace = 10 * time.Second

// Run runs the host until ctx is cancelled.
func Run(ctx context.Context, cfg *config.Config, opts RunOptions) error {
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	// One redactor for the logs, last_error and the admin pages, which a
	// reload teaches the secrets it brings.
	redactor := logging.NewRedactor(cfg.Secrets())
	log := logging.New(logging.Options{Level: cfg.Log.Level, Format: cfg.Log.Format, Output: stderr, Redactor: redactor})
	h, err := newHost(ctx, cfg, log, redactor, opts)
	if err != nil {
		log.Error("start failed", "error", err)
		return err
	}
	return h.run(ctx, opts.Ready, opts.ConfigPath)
}

// host is one running Parley host.
type host struct {
	cfg     *config.Config
	log     hclog.Logger
	store   store.Store
	metrics *metrics.Metrics
	// lifecycle measures conversations as tickets.
	lifecycle *metrics.Lifecycle
	plugins   *pluginhost.Manager
	channels  channelSet
	router    *router.Router
	disp      *dispatch.Dispatcher
	signer    *filelink.Signer
	// bots are the configured bots, each with its own Telegram client and
	// intake (bots.go); httpClient is their shared HTTP client and buttons
	// signs their inline buttons.
	bots       *botSet
	httpClient *http.Client
	buttons    *buttons.Signer
	// photos looks customers' profile photos up off the message path,
	// each through its conversation's bot.
	photos *avatar.Fetcher
	// business counts Telegram Business connection changes of every bot.
	business inbound.BusinessObserver
	// owner names this replica in leases and heartbeats; hostname and
	// started are what its heartbeats report (set by firstBeat).
	owner    string
	hostname string
	started  time.Time
	// reload is the running config's record (reload.go).
	reload reloadState
	// redactor keeps every configured secret out of logs and pages.
	redactor *logging.Redactor
	// running are the channels running now: the config's enabled channels
	// at start, then as reloads left them (reload.go).
	running []config.Channel
}

func newHost(ctx context.Context, cfg *config.Config, log hclog.Logger, redactor *logging.Redactor, opts RunOptions) (_ *host, err error) {
	h := &host{cfg: cfg, log: log, redactor: redactor, metrics: metrics.New(), owner: replicaName(), bots: newBotSet(), httpClient: newHTTPClient()}
	h.reload.loaded(opts.ConfigRevision, time.Now())
	h.lifecycle = h.metrics.NewLifecycle()
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	// Store calls at start wait out a database that is not reachable yet
	// or drops connections (startretry.go).
	if h.store, err = openStoreRetrying(ctx, cfg, log); err != nil {
		return nil, err
	}
	key, err := secretRetrying(ctx, h, "reading the file link key", "file-link-key")
	if err != nil {
		return nil, fmt.Errorf("file link key: %w", err)
	}
	h.signer = filelink.New(key, cfg.Server.PublicURL, cfg.Files.LinkTTL.Duration)
	if cfg.Server.PublicURL == "" {
		log.Warn("server.public_url is not set: file links handed to desks are relative and will not open outside this machine")
	}
	buttonKey, err := h.store.Secret(ctx, "button-key", randomBytes(32))
	if err != nil {
		return nil, fmt.Errorf("button key: %w", err)
	}
	h.buttons = buttons.New(buttonKey)

	h.router = router.New(nil)
	setRoutes(h.router, cfg)
	h.photos = avatar.New(h.bots.profilePhoto, h.store, log.Named("avatar"), 1024)
	h.business = h.metrics.NewBusiness()

	h.disp = dispatch.New(dispatch.Config{
		Store:    h.store,
		Channels: &h.channels,
		Bots:     h.bots.telegram,
		Links:    h.signer,
		Routes:   h.router,
		Observer: h.metrics,
		Logger:   log.Named("dispatch"),
		Options: dispatch.Options{
			Owner:       h.owner,
			Concurrency: cfg.Dispatch.Concurrency,
			RunLength:   cfg.Dispatch.RunLength,
			MaxAttempts: cfg.Dispatch.MaxAttempts,
			Backoff:     dispatch.Backoff{Initial: cfg.Dispatch.InitialBackoff.Duration, Max: cfg.Dispatch.MaxBackoff.Duration},
			// Set by hardening (issue 12): a slow desk holds only its share of
			// the workers, a plugin outage spends no attempts, and no secret
			// reaches last_error or a notice.
			ChannelConcurrency: cfg.ChannelLimit(),
			Unavailable:        channelUnavailable,
			Redact:             redactor.Redact,
		},
	})

	for _, bc := range cfg.Bots() {
		b, err := h.newBot(ctx, bc)
		if err != nil {
			return nil, err
		}
		h.bots.put(b)
	}

	h.plugins = pluginhost.New(pluginhost.Options{
		Dir:          cfg.Plugins.Dir,
		PublicURL:    cfg.Server.PublicURL,
		StartTimeout: cfg.Plugins.StartTimeout.Duration,
		Logger:       log,
		Host:         h.hostFor,
		Observe:      h.metrics.PluginCall,
	})
	var specs []pluginhost.Spec
	for _, ch := range cfg.EnabledChannels() {
		if impl, ok := opts.InProcess[ch.Name]; ok {
			if err := configureInProcess(ctx, ch, impl, cfg, h); err != nil {
				return nil, err
			}
			h.channels.set(ch.Name, impl)
			continue
		}
		spec, err := specOf(ch)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	if err := h.plugins.Start(ctx, specs); err != nil {
		return nil, err
	}
	h.channels.setFallback(h.plugins)
	h.running = cfg.EnabledChannels()
	return h, nil
}

func (h *host) run(ctx context.Context, ready func(Addrs), reloadPath string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer h.close()

	// Ready fires once both listeners have reported their addresses.
	readiness := supervise.NewReadiness([]string{"public", "admin"}, func(a map[string]net.Addr) {
		if ready != nil {
			ready(Addrs{Public: a["public"], Admin: a["admin"]})
		}
	})

	public := httpserver.Handler(httpserver.Config{
		Channels: &h.channels, Replies: webhookReplies{h}, Notify: h.disp.Notify, Signer: h.signer, Files: h.bots,
		MaxBodyBytes: h.cfg.Server.MaxBodyBytes, Observer: h.metrics, Logger: h.log.Named("http"),
		// Every bot's webhook is under /telegram/ (the one-bot form's
		// /telegram/webhook included); the bot set finds the bot by path.
		TelegramWebhookPaths: webhookPaths(h.cfg), TelegramWebhook: h.bots,
	})
	redact := h.redactor.Redact
	status, err := admin.NewStatus(admin.StatusConfig{
		Plugins: h.plugins.Status, Store: h.store, Bots: h.bots.states, Config: h.reload.state, Wake: h.disp.Notify,
		Redact: redact, Logger: h.log.Named("admin"),
	})
	if err != nil {
		return err
	}
	if w := openAdminWarning(h.cfg); w != nil {
		h.log.Warn(w.what, "fix", w.fix)
	}
	adminHandler := admin.Handler(admin.Config{
		Registry: h.metrics.Registry,
		Checks:   h.readyChecks,
		Status:   status,
		Access:   admin.Access{Token: h.cfg.Admin.Token, AllowedHosts: h.cfg.Admin.AllowedHosts, Loopback: h.cfg.Admin.Loopback()},
		Redact:   redact,
		Logger:   h.log.Named("admin"),
	})
	var botNames []string
	for _, b := range h.bots.all() {
		botNames = append(botNames, b.cfg.Name)
	}
	h.log.Info("parley is running", "channels", strings.Join(h.router.Channels(), ","), "bots", strings.Join(botNames, ","))
	h.firstBeat(ctx)
	drained, err := supervise.Run(ctx, supervise.Options{
		// Each listener's own shutdown is bounded by shutdownGrace; the
		// group as a whole gets three times that.
		Grace: 3 * shutdownGrace,
		Stopping: func(err error) {
			if err != nil {
				h.log.Error("stopping after a fatal error", "error", err)
			} else {
				h.log.Info("shutting down")
			}
		},
	},
		supervise.Task{Name: "public listener", Run: func(ctx context.Context) error {
			return httpserver.Serve(ctx, h.cfg.Server.Listen, public, shutdownGrace, readiness.Listening("public"))
		}},
		supervise.Task{Name: "admin listener", Run: func(ctx context.Context) error {
			return httpserver.Serve(ctx, h.cfg.Admin.Listen, adminHandler, shutdownGrace, readiness.Listening("admin"))
		}},
		supervise.Task{Name: "dispatcher", Run: h.disp.Run},
		supervise.Task{Name: "backlog gauge", Run: h.publishBacklog},
		supervise.Task{Name: "telegram bots", Run: func(ctx context.Context) error { return h.runBots(ctx, reloadPath) }},
		supervise.Task{Name: "heartbeat", Run: h.heartbeat},
		supervise.Task{Name: "retention", Run: h.retention},
		supervise.Task{Name: "idle conversations", Run: h.closeIdle},
		supervise.Task{Name: "profile photos", Run: func(ctx context.Context) error { return h.photos.Run(ctx, 2) }},
		supervise.Task{Name: "menu timeouts", Run: h.expireMenus},
	)
	if drained {
		// Every worker has returned: what this replica still holds
		// (claimed, never attempted) goes to the others now.
		h.retire()
	} else {
		h.log.Warn("shutdown took too long; exiting anyway")
	}
	return err
}

// close stops plugins and closes the store.
func (h *host) close() {
	if h.bots != nil {
		for _, b := range h.bots.all() {
			b.tg.typing.Close()
		}
	}
	if h.plugins != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := h.plugins.Close(ctx); err != nil {
			h.log.Warn("stopping plugins", "error", err)
		}
	}
	if h.store != nil {
		_ = h.store.Close()
	}
}

func (h *host) readyChecks() map[string]admin.Check {
	checks := map[string]admin.Check{
		"store": h.store.Ping,
		// Ready while any bot is: one bot's bad token is that bot's
		// error on the status page, not the host's.
		"telegram": func(ctx context.Context) error {
			var errs []error
			for _, b := range h.bots.all() {
				_, err := b.tg.getMe(ctx)
				if err == nil {
					return nil
				}
				errs = append(errs, fmt.Errorf("bot %s: %w", b.cfg.Name, err))
			}
			return errors.Join(errs...)
		},
	}
	for _, name := range h.router.Channels() {
		checks["channel "+name] = func(ctx context.Context) error {
			if _, ok := h.channels.Channel(name); !ok {
				return fmt.Errorf("channel %s is not running", name)
			}
			return nil
		}
	}
	return checks
}

// publishBacklog refreshes the outbox gauges.
func (h *host) publishBacklog(ctx context.Context) error {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		if b, err := h.store.Backlog(ctx); err == nil {
			for _, row := range b {
				var age time.Duration
				if !row.OldestPending.IsZero() {
					age = time.Since(row.OldestPending)
				}
				h.metrics.SetBacklog(row.Channel, row.Pending, row.Failed, age)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// replicaName is unique per process: host name, pid and a random suffix.
func replicaName() string {
	hostname, _ := os.Hostname()
	b, _ := randomBytes(4)()
	return fmt.Sprintf("%s-%d-%x", hostname, os.Getpid(), b)
}

func randomBytes(n int) func() ([]byte, error) {
	return func() ([]byte, error) {
		b := make([]byte, n)
		_, err := rand.Read(b)
		return b, err
	}
}

// channelSet resolves channel names to in-process channels first, then to
// plugin processes.
type channelSet struct {
	mu       sync.RWMutex
	local    map[string]sdk.Channel
	fallback interface {
		Channel(string) (sdk.Channel, bool)
	}
}

func (c *channelSet) setFallback(f interface {
	Channel(string) (sdk.Channel, bool)
}) {
	c.mu.Lock()
	c.fallback = f
	c.mu.Unlock()
}

// inProcess reports whether name runs inside the host (not a plugin).
func (c *channelSet) inProcess(name string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.local[name]
	return ok
}

func (c *channelSet) set(name string, ch sdk.Channel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local == nil {
		c.local = map[string]sdk.Channel{}
	}
	c.local[name] = ch
}

// Channel implements dispatch.Channels and httpserver.Channels.
func (c *channelSet) Channel(name string) (sdk.Channel, bool) {
	c.mu.RLock()
	ch, ok := c.local[name]
	fb := c.fallback
	c.mu.RUnlock()
	if ok {
		return ch, true
	}
	if fb == nil {
		return nil, false
	}
	return fb.Channel(name)
}

// channelUnavailable tells the dispatcher that a delivery met no running
// plugin (it waits for the restart) rather than a failing desk.
func channelUnavailable(err error) bool {
	return errors.Is(err, pluginhost.ErrUnavailable) || errors.Is(err, dispatch.ErrChannelUnavailable)
}
