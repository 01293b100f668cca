package telegramgroupchannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/parley-dev/parley/sdk"
)

// newBot is telego's client for the staff bot on our HTTP client (bounded
// waits, our User-Agent) with its logger off: its lines would carry the
// token.
func newBot(cfg Config, client *http.Client) (*telego.Bot, error) {
	api := DefaultAPIURL
	if cfg.APIURL != nil {
		api = cfg.APIURL.String()
	}
	return telego.NewBot(cfg.BotToken, telego.WithAPIServer(api), telego.WithHTTPClient(client), telego.WithDiscardLogger())
}

// apiError is Telegram's answer when err is one (ok: false).
func apiError(err error) (*ta.Error, bool) {
	return errors.AsType[*ta.Error](err)
}

// retryAfter is Telegram's wait for a 429 (1 s when it gave none).
func retryAfter(e *ta.Error) time.Duration {
	if e.Parameters != nil && e.Parameters.RetryAfter > 0 {
		return time.Duration(e.Parameters.RetryAfter) * time.Second
	}
	return time.Second
}

// scrub removes the token from an error's text: telego's transport errors
// quote the request URL, which holds it.
func scrub(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
}

// classify turns a failed Bot API call into what the host should do: wait
// Telegram's retry_after (429), give up (another 4xx: a removed topic, a
// revoked right), or retry with backoff (5xx, network).
func classify(method string, err error, token string) error {
	if err == nil {
		return nil
	}
	if e, ok := apiError(err); ok {
		switch {
		case e.ErrorCode == http.StatusTooManyRequests:
			return sdk.RetryAfter(fmt.Errorf("telegram %s: %w", method, e), retryAfter(e))
		case e.ErrorCode == http.StatusUnauthorized || e.ErrorCode == http.StatusNotFound:
			// A revoked token: the operator can fix it, so keep retrying.
			return fmt.Errorf("telegram %s: the staff bot's token was refused (%w): check bot_token", method, e)
		case e.ErrorCode >= 400 && e.ErrorCode < 500:
			return sdk.Permanent(fmt.Errorf("telegram %s: %w", method, e))
		}
		return fmt.Errorf("telegram %s: %w", method, e)
	}
	return fmt.Errorf("telegram %s: %w", method, scrub(err, token))
}

// is reports whether err is Telegram's 400 answer containing text.
func is(err error, text string) bool {
	e, ok := apiError(err)
	return ok && e.ErrorCode == http.StatusBadRequest && strings.Contains(e.Description, text)
}

// gate paces the staff bot's messages to the group. Telegram takes about
// 20 a minute from a bot in one group and answers more with 429 and a
// retry_after; the gate keeps to that window itself, across every lane,
// and after a 429 holds every send until the retry_after has passed.
type gate struct {
	mu    sync.Mutex
	until time.Time   // a 429's retry_after ends
	sends []time.Time // the messages of the last minute, oldest first
	now   func() time.Time
}

// Telegram's group limit: groupRate messages per groupWindow.
const (
	groupRate   = 20
	groupWindow = time.Minute
)

func (g *gate) pause(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.now().Add(d); t.After(g.until) {
		g.until = t
	}
}

// reserve takes a slot for one message (message: a send, counted in the
// window) and returns 0, or how long to wait before asking again.
func (g *gate) reserve(message bool) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if d := g.until.Sub(now); d > 0 {
		return d
	}
	if !message {
		return 0
	}
	for len(g.sends) > 0 && now.Sub(g.sends[0]) >= groupWindow {
		g.sends = g.sends[1:]
	}
	if len(g.sends) >= groupRate {
		return g.sends[0].Add(groupWindow).Sub(now)
	}
	g.sends = append(g.sends, now)
	return 0
}

// release gives back the newest slot: its message was not posted.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.sends); n > 0 {
		g.sends = g.sends[:n-1]
	}
}

// maxFirstWait is how long a delivery that has sent nothing yet waits for
// the group's rate limit before handing the wait to the host's outbox
// (which then retries it no sooner than Telegram asked).
const maxFirstWait = 3 * time.Second

// call runs one send to the group. A call that must not be repeated from
// the start (committed: the delivery already put something in the group)
// waits out 429s inside ctx's deadline; the first call of a delivery hands
// a long wait to the host as sdk.RetryAfter instead.
func (st *state) call(ctx context.Context, method string, committed bool, fn func(context.Context) error) error {
	for {
		if err := st.waitGate(ctx, method, committed); err != nil {
			return err
		}
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if strings.HasPrefix(method, "send") {
			st.gate.release()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("telegram %s: %w", method, ctx.Err())
		}
		e, ok := apiError(err)
		if !ok || e.ErrorCode != http.StatusTooManyRequests {
			return classify(method, err, st.cfg.BotToken)
		}
		wait := retryAfter(e)
		st.gate.pause(wait)
		if !committed && wait > maxFirstWait {
			return sdk.RetryAfter(fmt.Errorf("telegram %s: the staff group's rate limit: %w", method, e), wait)
		}
		st.log.Debug("the group's rate limit: waiting", "method", method, "retry_after", retryAfter(e))
	}
}

// waitGate takes the call's slot, sitting out the group's pause or full
// window when that fits the budget.
func (st *state) waitGate(ctx context.Context, method string, committed bool) error {
	message := strings.HasPrefix(method, "send")
	for {
		d := st.gate.reserve(message)
		if d <= 0 {
			return nil
		}
		budget := maxFirstWait
		if committed {
			budget = time.Hour
			if dl, ok := ctx.Deadline(); ok {
				budget = time.Until(dl) - time.Second
			}
		}
		if d > budget {
			return sdk.RetryAfter(fmt.Errorf("telegram %s: the staff group's rate limit", method), d)
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("telegram %s: waiting for the rate limit: %w", method, ctx.Err())
		}
	}
}
