package dispatch

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// channelGate keeps per-channel limits on the delivery queue: how many
// lanes of each channel are in flight (Options.ChannelConcurrency), and
// which channels are down (their plugin is starting, restarting or failed)
// until when. Claims skip the channels it names, so a desk that hangs or
// is down holds neither every worker nor the claim's limit, and a down
// desk's deliveries wait without spending attempts.
type channelGate struct {
	limit int // most lanes of one channel in flight

	mu       sync.Mutex
	inflight map[string]int
	down     map[string]time.Time // channel → when to look again
}

func newChannelGate(limit int) *channelGate {
	return &channelGate{limit: limit, inflight: map[string]int{}, down: map[string]time.Time{}}
}

// skip lists the channels a claim at now must pass over: saturated or
// down. Channels whose down time is over are forgotten.
func (g *channelGate) skip(now time.Time) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for ch, n := range g.inflight {
		if n >= g.limit {
			out = append(out, ch)
		}
	}
	for ch, until := range g.down {
		switch {
		case !now.Before(until):
			delete(g.down, ch)
		case !slices.Contains(out, ch):
			out = append(out, ch)
		}
	}
	slices.Sort(out)
	return out
}

// take reserves a slot for a claimed run of channel, or reports false
// when the channel is saturated or down (the claim raced with the limit).
func (g *channelGate) take(channel string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until, ok := g.down[channel]; ok && now.Before(until) {
		return false
	}
	if g.inflight[channel] >= g.limit {
		return false
	}
	g.inflight[channel]++
	return true
}

// done gives back a slot taken by take.
func (g *channelGate) done(channel string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight[channel]--; g.inflight[channel] <= 0 {
		delete(g.inflight, channel)
	}
}

// setDown marks channel down until the given time, and reports whether it
// was not known down already (to log an outage once, not per row).
func (g *channelGate) setDown(channel string, until time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	prev, was := g.down[channel]
	if !was || until.After(prev) {
		g.down[channel] = until
	}
	return !was
}

// channelUnavailable reports whether err means the channel's plugin is not
// running (not the desk's own failure), and how long to wait before
// looking again: the plugin host's hint, within the backoff's bounds.
func (d *Dispatcher) channelUnavailable(err error) (time.Duration, bool) {
	if err == nil || !d.opts.Unavailable(err) {
		return 0, false
	}
	return d.outageWait(err), true
}

// outageWait is how long claims skip a channel that is down: the hint err
// carries, else the first backoff, at least a poll and at most the
// backoff's limit.
func (d *Dispatcher) outageWait(err error) time.Duration {
	wait := d.opts.Backoff.Next(1)
	if hint, ok := sdk.RetryHint(err); ok && hint > 0 {
		wait = hint
	}
	return min(max(wait, d.opts.PollInterval), d.opts.Backoff.Limit())
}

// holdForOutage gives a run of a channel that is down back to its lane
// untouched (no attempt counted, its schedule unchanged) and has claims
// skip the channel for wait.
func (d *Dispatcher) holdForOutage(ctx context.Context, rows []store.Delivery, cause error, wait time.Duration) {
	head := rows[0]
	if d.gate.setDown(head.Channel, time.Now().Add(wait)) {
		d.log.Warn("channel is unavailable; its deliveries wait without spending attempts",
			"channel", head.Channel, "retry_in", wait.Round(time.Millisecond), "error", d.redact(cause.Error()))
	}
	d.release(ctx, rows)
}
