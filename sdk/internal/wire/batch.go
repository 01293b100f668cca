package wire

import (
	"context"
	"time"
)

// DeliverEach is the one loop behind a batch, on either side of the
// plugin boundary. It delivers n items in order through deliver, handing
// each the thread reference the item before returned (ref for the first);
// deliver returns its result and the thread reference it answered, empty
// to keep the one it got. The first failure, a done ctx or the end of
// budget (zero means none) stops it; the first item is always attempted.
// It returns the results of the items delivered and the failure, if any.
func DeliverEach[R any](ctx context.Context, n int, budget time.Duration, ref []byte,
	deliver func(ctx context.Context, i int, ref []byte) (R, []byte, error)) ([]R, error) {
	start := time.Now()
	out := make([]R, 0, n)
	for i := range n {
		if i > 0 && (ctx.Err() != nil || budget > 0 && time.Since(start) >= budget) {
			break
		}
		resp, next, err := deliver(ctx, i, ref)
		if err != nil {
			return out, err
		}
		if len(next) > 0 {
			ref = next
		}
		out = append(out, resp)
	}
	return out, nil
}

// Previous hands the previous conversation's thread to the first item of
// a batch only.
func Previous(i int, ref []byte) []byte {
	if i == 0 {
		return ref
	}
	return nil
}
