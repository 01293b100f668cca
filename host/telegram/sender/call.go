package sender

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// call runs one Bot API request to chatID. It waits for the rate limiters,
// and retries what may be retried: a 429 after exactly its retry_after, a
// 5xx or network error after a backoff, each up to MaxAttempts in all. fn
// must be repeatable (uploads rewind their file).
func (s *Sender) call(ctx context.Context, chatID int64, method string, fn func(context.Context) (*telego.Message, error)) (*telego.Message, error) {
	return s.callLimited(ctx, chatID, method, true, fn)
}

// callLimited is call; limited false skips the message rate limiters (for
// requests that send no message, such as a chat action, which must not
// hold back the next reply), not the 429 handling.
func (s *Sender) callLimited(ctx context.Context, chatID int64, method string, limited bool,
	fn func(context.Context) (*telego.Message, error)) (*telego.Message, error) {
	for attempt := 1; ; attempt++ {
		if limited {
			if err := s.limits.wait(ctx, chatID); err != nil {
				return nil, fmt.Errorf("%s: waiting for the rate limit: %w", method, err)
			}
		}
		start := time.Now()
		msg, err := fn(ctx)
		took := time.Since(start)
		if err == nil {
			s.obs.Call(method, ResultOK, took)
			return msg, nil
		}
		if ctx.Err() != nil {
			s.obs.Call(method, ResultCanceled, took)
			return nil, fmt.Errorf("%s: %w", method, ctx.Err())
		}
		err = scrub(err)

		if e, ok := apiError(err); ok {
			switch {
			case e.ErrorCode == 429:
				s.obs.Call(method, ResultRateLimited, took)
				wait := time.Second
				if e.Parameters != nil && e.Parameters.RetryAfter > 0 {
					wait = time.Duration(e.Parameters.RetryAfter) * time.Second
				}
				s.limits.pause(chatID, wait)
				if attempt >= s.opts.MaxAttempts || wait > s.opts.MaxRetryWait || !fits(ctx, wait) {
					// Waiting here would outlive the caller: let it reschedule.
					return nil, sdk.RetryAfter(fmt.Errorf("%s: %w", method, err), wait)
				}
				if err := sleep(ctx, wait); err != nil {
					return nil, fmt.Errorf("%s: waiting out a 429: %w", method, err)
				}
				continue
			case businessConnection(ctx) != "" && businessRefusal(e):
				// Through a Business connection a 403 is the connection's
				// missing right (BOT_ACCESS_FORBIDDEN), not a customer who
				// blocked the bot, and a 400 may be the connection disabled.
				s.obs.Call(method, ResultRejected, took)
				return nil, sdk.Permanent(&BusinessError{Method: method, Description: e.Description, err: err})
			case isBlocked(e):
				s.obs.Call(method, ResultBlocked, took)
				return nil, &BlockedError{Description: e.Description}
			case e.ErrorCode == 401 || e.ErrorCode == 404:
				// A wrong or revoked token: nothing to retry now, but an
				// operator can fix it, so the caller may try again later.
				s.obs.Call(method, ResultError, took)
				return nil, fmt.Errorf("%s: the bot token was refused: %w", method, err)
			default:
				s.obs.Call(method, ResultRejected, took)
				return nil, sdk.Permanent(fmt.Errorf("%s: %w", method, err))
			}
		}

		if sdk.IsPermanent(err) { // raised by fn itself, before any request
			s.obs.Call(method, ResultError, took)
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		// A 5xx, a network error or an answer that is not the JSON envelope
		// (an HTML error page): transient.
		s.obs.Call(method, ResultError, took)
		if attempt >= s.opts.MaxAttempts {
			return nil, fmt.Errorf("%s: giving up after %d attempts: %w", method, attempt, err)
		}
		if serr := sleep(ctx, s.backoff(attempt)); serr != nil {
			return nil, fmt.Errorf("%s: %w (then %w)", method, err, serr)
		}
	}
}

// backoff is the wait before retry n (1-based): exponential from
// BackoffBase, capped at BackoffMax, with the upper half jittered so that
// many senders do not retry in step.
func (s *Sender) backoff(n int) time.Duration {
	d := s.opts.BackoffBase << min(n-1, 20)
	if d <= 0 || d > s.opts.BackoffMax {
		d = s.opts.BackoffMax
	}
	half := d / 2
	return half + rand.N(half+1)
}

// fits reports whether ctx's deadline leaves room to wait d and then call.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}
