package httpserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/filelink"
	"github.com/parley-dev/parley/host/internal/httpsafe"
)

// Config gathers the server's dependencies.
type Config struct {
	Channels Channels
	Replies  ReplyStore
	// Notify wakes the dispatcher after replies were stored.
	Notify func()
	Signer *filelink.Signer
	Files  FileOpener
	// MaxBodyBytes caps a webhook body [1 MiB].
	MaxBodyBytes int64
	// HookTimeout bounds a plugin's HandleWebhook [10s].
	HookTimeout time.Duration
	// TelegramWebhook serves Telegram's updates in webhook mode at each
	// of TelegramWebhookPaths (ServeMux patterns: "/telegram/" serves every
	// path under it); nil serves none.
	TelegramWebhookPaths []string
	TelegramWebhook      http.Handler
	Observer             HookObserver
	Logger               hclog.Logger
}

// Handler returns the public HTTP handler.
func Handler(c Config) http.Handler {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.HookTimeout <= 0 {
		c.HookTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	mux := http.NewServeMux()
	mux.Handle("/hooks/", &hooks{
		channels: c.Channels, replies: c.Replies, notify: c.Notify, maxBody: c.MaxBodyBytes,
		timeout: c.HookTimeout, log: c.Logger.Named("hooks"), observer: c.Observer,
	})
	if c.Signer != nil && c.Files != nil {
		mux.Handle("/files/", &files{signer: c.Signer, opener: c.Files, log: c.Logger.Named("files")})
	}
	if c.TelegramWebhook != nil {
		for _, p := range c.TelegramWebhookPaths {
			mux.Handle(p, c.TelegramWebhook)
		}
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return httpsafe.Recover(c.Logger, mux)
}

// Serve runs h on addr until ctx is cancelled, then shuts down gracefully
// within grace. ready, when non-nil, receives the bound address.
func Serve(ctx context.Context, addr string, h http.Handler, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
