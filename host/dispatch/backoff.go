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
	initial, maxWait := b.Initial, b.Max
	if initial <= 0 {
		initial = time.Second
	}
	if maxWait < initial {
		maxWait = initial
	}
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
