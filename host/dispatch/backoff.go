package dispatch

import (
	"math/rand/v2"
	"time"
)

// Backoff computes the wait before the next attempt.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// Next returns the wait after the given number of failed attempts (1 for
// the first failure): exponential with full jitter in its upper half, so
// lanes that failed together do not retry together.
func (b Backoff) Next(attempts int) time.Duration {
	initial, maxWait := b.initial(), b.Limit()
	d := initial
	for i := 1; i < attempts && d < maxWait; i++ {
		d *= 2
	}
	if d > maxWait {
		d = maxWait
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (b Backoff) initial() time.Duration {
	if b.Initial <= 0 {
		return time.Second
	}
	return b.Initial
}

// Limit is the longest wait the backoff gives: Max, or the initial wait
// when Max is below it. Retry hints (a plugin's, Telegram's retry_after)
// are clamped to it, so no hint parks a row longer than the operator's
// dispatch.max_backoff.
func (b Backoff) Limit() time.Duration {
	return max(b.Max, b.initial())
}
