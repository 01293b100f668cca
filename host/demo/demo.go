package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/app"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/pluginhost"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// Options configure Run.
type Options struct {
	// Listen is the demo page's address; loopback by default
	// ("127.0.0.1:8400"). Use port 0 for a random port.
	Listen string
	// Desk is the plugin to demo: "webhook" (default), "slack", "helpscout",
	// "hipchat" or "telegramgroup".
	Desk string
	// PluginsDir holds the parley-channel-<plugin> binaries ("bin/plugins"
	// by default).
	PluginsDir string
	// Stdout receives the URLs to open; Stderr the host's log.
	Stdout, Stderr io.Writer
	// Ready, when set, is called once everything is up (tests).
	Ready func(URLs)
}

// URLs are where the demo's pieces listen.
type URLs struct {
	// Page is the two-pane demo page.
	Page string
	// Admin is the host's admin listener (/status, /metrics, /readyz).
	Admin string
	// Public is the host's public listener (/hooks, /files).
	Public string
}

// startTimeout bounds the host's start-up (plugin launch, getMe).
const startTimeout = 60 * time.Second

// Run runs the demo until ctx is cancelled, then stops everything: the page,
// the host and its plugin, the fakes, and removes the temporary store.
func Run(ctx context.Context, opts Options) error {
	opts = withDefaults(opts)
	newDesk, err := deskFor(opts.Desk)
	if err != nil {
		return err
	}

	// The page's address is the one the visitor asked for: fail before
	// starting anything if it is taken.
	pageLn, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("demo page: %w", err)
	}
	defer pageLn.Close()

	tg := telegramtest.New(telegramtest.Options{
		Bot: telego.User{FirstName: "Parley Support", Username: "parley_demo_bot", IsBot: true},
		// Short polls keep Ctrl-C snappy; the fake answers as soon as an update arrives anyway.
		MaxPollTimeout: 2 * time.Second,
	})
	if err := tg.Start(); err != nil {
		return fmt.Errorf("fake Telegram: %w", err)
	}
	defer tg.Close()

	publicAddr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	publicURL := "http://" + publicAddr
	d, err := newDesk(ctx, publicURL, tg)
	if err != nil {
		return err
	}
	defer d.Close()
	spec := d.Channel()
	if err := havePlugin(opts.PluginsDir, spec.Plugin); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "parley-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, err := demoConfig(tg, spec, publicAddr, publicURL, dir, opts.PluginsDir)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan app.Addrs, 1)
	hostErr := make(chan error, 1)
	go func() {
		hostErr <- app.Run(ctx, cfg, app.RunOptions{Stderr: opts.Stderr, Ready: func(a app.Addrs) { ready <- a }})
	}()
	var addrs app.Addrs
	select {
	case addrs = <-ready:
	case err := <-hostErr:
		if err == nil {
			return ctx.Err()
		}
		return fmt.Errorf("the host did not start: %w", err)
	case <-time.After(startTimeout):
		cancel()
		<-hostErr
		return fmt.Errorf("the host did not start within %s", startTimeout)
	}

	c := newChat(tg)
	urls := URLs{
		Page:   "http://" + pageLn.Addr().String() + "/",
		Admin:  "http://" + addrs.Admin.String(),
		Public: publicURL,
	}
	srv := &http.Server{Handler: newPage(c, d, urls, spec.Plugin), ReadHeaderTimeout: 10 * time.Second}
	pageErr := make(chan error, 1)
	go func() { pageErr <- srv.Serve(pageLn) }()
	// The visitor's chat opens like a real one: /start, and the welcome.
	c.Text("/start")

	fmt.Fprintf(opts.Stdout, "\nParley demo (%s desk) is running.\n\n  Open   %s\n  Status %s/status\n\nPress Ctrl-C to stop.\n\n",
		opts.Desk, urls.Page, urls.Admin)
	if opts.Ready != nil {
		opts.Ready(urls)
	}

	select {
	case err = <-hostErr:
		if err != nil {
			err = fmt.Errorf("host: %w", err)
		}
	case err = <-pageErr:
		err = fmt.Errorf("demo page: %w", err)
		cancel()
		<-hostErr
	}
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdown)
	if errors.Is(err, http.ErrServerClosed) || ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

func withDefaults(o Options) Options {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8400"
	}
	if o.Desk == "" {
		o.Desk = "webhook"
	}
	if o.PluginsDir == "" {
		o.PluginsDir = filepath.Join("bin", "plugins")
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	return o
}

// havePlugin turns a missing binary into advice instead of a start-up
// failure deep in the plugin host.
func havePlugin(dir, plugin string) error {
	path := filepath.Join(dir, pluginhost.BinaryPrefix+plugin)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no %s plugin at %s: run `make build` first, or pass --plugins-dir", plugin, path)
	}
	return nil
}

// freeLoopbackAddr picks a free port for the host's public listener: its
// URL must be in the config (file links use it) before the host listens.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// demoConfig is the host configuration of the demo: everything local, the
// store in dir. Secrets are ${VAR} references resolved from memory.
func demoConfig(tg *telegramtest.Server, ch channelSpec, publicAddr, publicURL, dir, pluginsDir string) (*config.Config, error) {
	pluginsDir, err := filepath.Abs(pluginsDir)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf(`
[telegram]
token = "${DEMO_TELEGRAM_TOKEN}"
api_url = %q
poll_timeout = "2s"
welcome_message = "Hello! This is the Parley demo. Write your question and an agent will answer here."

[server]
listen = %q
public_url = %q

[admin]
listen = "127.0.0.1:0"

[store]
driver = "sqlite"
dsn = %q

[plugins]
dir = %q

[conversations]
# A message right after a close starts conversation #2, so the demo shows
# the new thread (the default reopens within the hour).
after_close = "new"
reopen_within = "0s"

[conversations.rating]
enabled = true

[dispatch]
initial_backoff = "500ms"
max_backoff = "10s"

[channels.%s]
plugin = %q
[channels.%s.config]
%s`, tg.URL(), publicAddr, publicURL, filepath.Join(dir, "parley.db"), pluginsDir,
		ch.Name, ch.Plugin, ch.Name, ch.Config)
	env := map[string]string{"DEMO_TELEGRAM_TOKEN": tg.Token()}
	for k, v := range ch.Env {
		env[k] = v
	}
	cfg, err := config.Parse("demo.toml", []byte(text), func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
	if err != nil {
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	return cfg, nil
}
