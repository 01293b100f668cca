package pluginhost

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-dev/parley/sdk"
	"golang.org/x/time/rate"
)

// limitedHost is the sdk.Host a channel's plugin calls back: the host's
// own, with PostReply rate-limited per channel so that a runaway plugin
// cannot flood the store and the Telegram reply queue.
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
// error (sdk.ErrRateLimited) carrying the wait until a token is free.
func (h *limitedHost) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	now := h.now()
	res := h.lim.ReserveN(now, 1)
	if wait := res.DelayFrom(now); !res.OK() || wait > 0 {
		res.CancelAt(now)
		return sdk.PostReplyResult{}, sdk.RetryAfter(fmt.Errorf("%w: channel %q posts more than %g replies a second (burst %d)",
			sdk.ErrRateLimited, h.channel, float64(h.lim.Limit()), h.lim.Burst()), max(wait, time.Millisecond))
	}
	return h.Host.PostReply(ctx, r)
}
