package pluginhost

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
	"golang.org/x/time/rate"
)

// limitedHost is the sdk.Host a channel's plugin calls back: the host's
// own, with PostReply and PostAction rate-limited per channel (one budget
// for both) so that a runaway plugin cannot flood the store, the desks'
// lanes and the Telegram reply queue.
type limitedHost struct {
	sdk.Host
	channel string
	lim     *rate.Limiter
	now     func() time.Time
}

func newLimitedHost(h sdk.Host, channel string, perSecond float64, burst int) *limitedHost {
	return &limitedHost{Host: h, channel: channel, lim: rate.NewLimiter(rate.Limit(perSecond), burst), now: time.Now}
}

// PostReply passes the reply on, or refuses it with a ResourceExhausted
// error (pluginclient.ErrRateLimited) carrying the wait until a token is free.
func (h *limitedHost) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	if err := h.take(); err != nil {
		return sdk.PostReplyResult{}, err
	}
	return h.Host.PostReply(ctx, r)
}

// PostAction passes the action on, or refuses it as PostReply does.
func (h *limitedHost) PostAction(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	if err := h.take(); err != nil {
		return sdk.ActionResult{}, err
	}
	return h.Host.PostAction(ctx, a)
}

// take spends a token, or returns the refusal with the wait until one is
// free.
func (h *limitedHost) take() error {
	now := h.now()
	res := h.lim.ReserveN(now, 1)
	if wait := res.DelayFrom(now); !res.OK() || wait > 0 {
		res.CancelAt(now)
		return sdk.RetryAfter(fmt.Errorf("%w: channel %q posts more than %g replies a second (burst %d; actions count as replies)",
			pluginclient.ErrRateLimited, h.channel, float64(h.lim.Limit()), h.lim.Burst()), max(wait, time.Millisecond))
	}
	return nil
}
