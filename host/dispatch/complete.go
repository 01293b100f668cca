package dispatch

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/parley-dev/parley/host/store"
)

// completer records finished deliveries in groups: a small group commit.
// Under load, many deliveries finish within a millisecond of each other,
// and one transaction for all of them costs the store's single writer
// about what one transaction for each of them did.
//
// A delivery's worker waits until its completion is committed, and the row
// stays leased until then, so its lane's next row becomes claimable only
// after the commit: grouping never reorders a lane.
type completer struct {
	store store.DeliveryCompleter
	owner string
	// max is the most rows in one transaction; window is the longest the
	// first row of a group waits for others.
	max    int
	window time.Duration
	reqs   chan completion
	// working counts deliveries between begin and end: the workers that
	// may still hand in a completion. When all of them already wait in
	// the group, nothing more can join it and it commits at once, so an
	// idle host adds no delay.
	working atomic.Int64
	// ended wakes a gathering group when a delivery ends without joining
	// it (it failed, or its own group just committed), so the group
	// re-checks whether anyone is left to wait for.
	ended chan struct{}
}

// completion is what one worker hands in (the rows of its run that were
// delivered) and the channel their results go back on.
type completion struct {
	cs   []store.Completion
	done chan []error
}

func newCompleter(s store.DeliveryCompleter, owner string, max int, window time.Duration) *completer {
	return &completer{store: s, owner: owner, max: max, window: window, reqs: make(chan completion), ended: make(chan struct{}, 1)}
}

// begin and end bracket one delivery's work.
func (c *completer) begin() { c.working.Add(1) }

func (c *completer) end() {
	c.working.Add(-1)
	select {
	case c.ended <- struct{}{}:
	default:
	}
}

// complete hands completions in and returns once the group holding them is
// committed, with one result per row: nil, the row's own error
// (store.ErrLeaseLost, ...) or the transaction's.
func (c *completer) complete(ctx context.Context, cs []store.Completion) []error {
	r := completion{cs: cs, done: make(chan []error, 1)}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return repeatErr(ctx.Err(), len(cs))
	}
	return <-r.done
}

func repeatErr(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// run commits groups until stop is closed. It runs on the dispatcher's
// work context, so groups in flight at shutdown still commit within the
// grace period.
func (c *completer) run(ctx context.Context, stop <-chan struct{}) {
	timer := time.NewTimer(c.window)
	defer timer.Stop()
	var group []completion
	for {
		select {
		case <-stop:
			return
		case r := <-c.reqs:
			group = c.gather(append(group[:0], r), timer)
			c.commit(ctx, group)
		}
	}
}

// gather adds to group what arrives before the window closes, the group
// is full, or no other delivery is in progress.
func (c *completer) gather(group []completion, timer *time.Timer) []completion {
	timer.Reset(c.window)
	defer timer.Stop()
	rows := 0
	for _, r := range group {
		rows += len(r.cs)
	}
	for rows < c.max {
		select {
		case r := <-c.reqs:
			group = append(group, r)
			rows += len(r.cs)
			continue
		default:
		}
		if c.working.Load() <= int64(len(group)) {
			return group // every worker that could join already has
		}
		select {
		case r := <-c.reqs:
			group = append(group, r)
			rows += len(r.cs)
		case <-c.ended:
		case <-timer.C:
			return group
		}
	}
	return group
}

func (c *completer) commit(ctx context.Context, group []completion) {
	var cs []store.Completion
	for _, r := range group {
		cs = append(cs, r.cs...)
	}
	errs, err := c.store.CompleteDeliveries(ctx, c.owner, cs)
	if err == nil && len(errs) != len(cs) {
		err = fmt.Errorf("the store returned %d results for %d completions", len(errs), len(cs))
	}
	for _, r := range group {
		if err != nil {
			r.done <- repeatErr(err, len(r.cs))
			continue
		}
		r.done <- errs[:len(r.cs):len(r.cs)]
		errs = errs[len(r.cs):]
	}
}
