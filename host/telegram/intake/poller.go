package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/sethvargo/go-retry"
)

// DefaultAPIURL is the cloud Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// Poller long-polls getUpdates and hands each batch to Handler, confirming it to Telegram only
// after Handler returned nil. Set the fields, then call Run once.
type Poller struct {
	// APIURL is the Bot API base URL without a trailing slash (DefaultAPIURL when empty).
	APIURL string
	// Token is the bot token. It never appears in logs or returned errors.
	Token string
	// HTTPClient makes the calls; when nil a client with a timeout above Timeout is used.
	HTTPClient *http.Client
	// Timeout is the long-poll timeout sent to Telegram (default 25 s, Telegram caps it at 50 s).
	Timeout time.Duration
	// Limit is the batch size, 1–100 (default 100).
	Limit int
	// AllowedUpdates are the update types to receive; nil keeps Telegram's current setting.
	AllowedUpdates []string
	// DeleteWebhook makes Run call deleteWebhook (keeping pending updates) before polling, since
	// getUpdates fails with 409 while a webhook is set.
	DeleteWebhook bool

	// Offset returns the offset to start from: the last durably handled update_id + 1, or 0. It
	// is called when Run starts, and retried with backoff until it answers.
	Offset func(ctx context.Context) (int64, error)
	// Handler stores a batch durably. Returning nil confirms the batch; an error makes the poller
	// back off and hand the same batch again, never skipping it.
	Handler func(ctx context.Context, batch []Update) error

	// Logger receives errors and retries (default: discard).
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the exponential backoff after an error (defaults 1 s and
	// 1 min). ConflictBackoff is the first wait after a 409 (default 10 s), doubling to MaxBackoff.
	MinBackoff, MaxBackoff, ConflictBackoff time.Duration
}

func (p *Poller) defaults() {
	if p.APIURL == "" {
		p.APIURL = DefaultAPIURL
	}
	p.APIURL = strings.TrimRight(p.APIURL, "/")
	if p.Timeout <= 0 {
		p.Timeout = 25 * time.Second
	}
	// getUpdates takes whole seconds and 0 means a short poll: never let rounding make a busy loop.
	p.Timeout = max(p.Timeout.Round(time.Second), time.Second)
	if p.Limit <= 0 || p.Limit > 100 {
		p.Limit = 100
	}
	if p.HTTPClient == nil {
		p.HTTPClient = &http.Client{Timeout: p.Timeout + 30*time.Second}
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = time.Second
	}
	if p.MaxBackoff < p.MinBackoff {
		p.MaxBackoff = max(time.Minute, p.MinBackoff)
	}
	if p.ConflictBackoff <= 0 {
		p.ConflictBackoff = 10 * time.Second
	}
}

// backoff is exponential from base, capped at MaxBackoff, with jitter so replicas drift apart.
func (p *Poller) backoff(base time.Duration) retry.Backoff {
	return retry.WithCappedDuration(p.MaxBackoff, retry.WithJitterPercent(10, retry.NewExponential(base)))
}

// Run polls until ctx is cancelled (then it returns nil) or the token is rejected (then it returns
// an error wrapping ErrUnauthorized). Every other failure is logged and retried.
func (p *Poller) Run(ctx context.Context) error {
	if p.Handler == nil || p.Offset == nil {
		return errors.New("intake: Poller needs Handler and Offset")
	}
	if p.Token == "" {
		return errors.New("intake: Poller needs a bot token")
	}
	p.defaults()
	api := &client{caller: ta.HTTPCaller{Client: p.HTTPClient}, base: p.APIURL + "/bot" + p.Token + "/", token: p.Token}

	offset, err := p.startOffset(ctx)
	if err != nil {
		return nil // ctx cancelled while waiting for the store
	}
	if p.DeleteWebhook {
		if err := p.retrying(ctx, "deleteWebhook", func() error {
			return api.call(ctx, "deleteWebhook", &telego.DeleteWebhookParams{}, nil)
		}); err != nil {
			return p.stopped(ctx, err)
		}
	}

	failures := p.backoff(p.MinBackoff)
	conflicts := p.backoff(p.ConflictBackoff)
	for ctx.Err() == nil {
		params := &telego.GetUpdatesParams{Offset: int(offset), Limit: p.Limit,
			Timeout: int(p.Timeout / time.Second), AllowedUpdates: p.AllowedUpdates}
		var result json.RawMessage
		callCtx, cancel := context.WithTimeout(ctx, p.Timeout+30*time.Second)
		err := api.call(callCtx, "getUpdates", params, &result)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait, fatal := p.classify(err, failures, conflicts)
			if fatal != nil {
				return fatal
			}
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		failures, conflicts = p.backoff(p.MinBackoff), p.backoff(p.ConflictBackoff)

		batch, err := decodeBatch(result)
		if err != nil {
			p.Logger.Error("telegram intake: unreadable getUpdates result", "error", err)
			if !sleep(ctx, next(failures)) {
				return nil
			}
			continue
		}
		if len(batch) == 0 {
			continue
		}
		for _, u := range batch {
			if u.DecodeErr != nil {
				p.Logger.Warn("telegram intake: update telego cannot decode, handed on as unsupported",
					"update_id", u.ID, "error", u.DecodeErr)
			}
		}
		if err := p.handle(ctx, batch); err != nil {
			return nil // ctx cancelled: the batch stays unconfirmed and comes again next start
		}
		offset = nextOffset(offset, batch)
	}
	return nil
}

// startOffset asks the store for the offset, retrying with backoff until it answers.
func (p *Poller) startOffset(ctx context.Context) (int64, error) {
	var offset int64
	err := p.retrying(ctx, "load offset", func() error {
		var err error
		offset, err = p.Offset(ctx)
		return err
	})
	return offset, err
}

// handle gives batch to Handler until it succeeds; it fails only when ctx is done.
func (p *Poller) handle(ctx context.Context, batch []Update) error {
	return p.retrying(ctx, "handle updates", func() error { return p.Handler(ctx, batch) })
}

// retrying runs f until it succeeds, backing off between failures. It returns f's last error only
// when ctx is done, or at once for ErrUnauthorized.
func (p *Poller) retrying(ctx context.Context, what string, f func() error) error {
	b := p.backoff(p.MinBackoff)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = scrubError(err, p.Token)
		if isUnauthorized(err) {
			return fmt.Errorf("intake: %s: %w", what, ErrUnauthorized)
		}
		wait := next(b)
		p.Logger.Error("telegram intake: "+what+" failed, retrying", "error", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// stopped turns a failure of a start-up step into Run's result.
func (p *Poller) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// classify decides what a failed getUpdates means: how long to wait, or a fatal error.
func (p *Poller) classify(err error, failures, conflicts retry.Backoff) (time.Duration, error) {
	err = scrubError(err, p.Token)
	var apiErr *ta.Error
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case http.StatusUnauthorized:
			p.Logger.Error("telegram intake stopped", "error", ErrUnauthorized)
			return 0, fmt.Errorf("intake: %w", ErrUnauthorized)
		case http.StatusConflict:
			wait := next(conflicts)
			p.Logger.Error("telegram intake: "+ErrConflict.Error(), "telegram", apiErr.Description, "retry_in", wait)
			return wait, nil
		case http.StatusTooManyRequests:
			wait := next(failures)
			if apiErr.Parameters != nil && apiErr.Parameters.RetryAfter > 0 {
				wait = time.Duration(apiErr.Parameters.RetryAfter) * time.Second
			}
			p.Logger.Warn("telegram intake: rate limited", "retry_in", wait)
			return wait, nil
		}
	}
	wait := next(failures)
	p.Logger.Error("telegram intake: getUpdates failed, retrying", "error", err, "retry_in", wait)
	return wait, nil
}

func isUnauthorized(err error) bool {
	var apiErr *ta.Error
	return errors.As(err, &apiErr) && apiErr.ErrorCode == http.StatusUnauthorized
}

// next is b's next wait; the backoffs here never stop.
func next(b retry.Backoff) time.Duration {
	d, _ := b.Next()
	return d
}

// sleep waits d or until ctx is done; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
