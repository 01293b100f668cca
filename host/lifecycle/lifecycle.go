// Package lifecycle runs the host's side of conversation lifecycles that
// no desk drives: closing idle conversations ([conversations]
// close_after). The store does the closing (store.Lifecycle); this
// package decides when.
package lifecycle

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// ClosedBy names the host as the closer of idle conversations.
const ClosedBy = "Parley"

// IdleCloser closes conversations idle for After.
type IdleCloser struct {
	Store store.Lifecycle
	// After is the idle time; Run returns at once when it is 0.
	After time.Duration
	// Every is the wait between sweeps [After/4, between 1s and 1m].
	Every time.Duration
	// Batch is the most conversations looked at per query [100].
	Batch int
	// Now is the clock [time.Now].
	Now func() time.Time
	// Closed, when set, is told of each conversation closed.
	Closed func(store.Conversation)
	Log    hclog.Logger
}

func (c *IdleCloser) defaults() {
	if c.Every <= 0 {
		c.Every = min(max(c.After/4, time.Second), time.Minute)
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
}

// Run sweeps at once and then every c.Every until ctx ends. A failed
// sweep is logged and tried again next time. Replicas may all run it: the
// store closes a conversation once, and only if it is still idle.
func (c IdleCloser) Run(ctx context.Context) error {
	if c.After <= 0 {
		return nil
	}
	c.defaults()
	for {
		if _, err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
			c.Log.Warn("closing idle conversations failed; trying again later", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(c.Every):
		}
	}
}

// Sweep closes every conversation idle since before now-After and returns
// how many it closed.
func (c IdleCloser) Sweep(ctx context.Context) (int, error) {
	c.defaults()
	now := c.Now()
	before := now.Add(-c.After)
	closed := 0
	for {
		idle, err := c.Store.IdleConversations(ctx, before, c.Batch)
		if err != nil {
			return closed, err
		}
		n := 0
		for _, conv := range idle {
			ok, err := c.Store.CloseConversation(ctx, conv.ID, store.Closing{
				Reason: sdk.CloseByIdle, By: ClosedBy, IdleBefore: before, Time: now,
			})
			if err != nil {
				return closed, err
			}
			if ok {
				n++
				c.Log.Info("closed an idle conversation", "conversation", conv.ID, "number", conv.Number, "idle_since", conv.UpdatedAt)
				if c.Closed != nil {
					c.Closed(conv)
				}
			}
		}
		closed += n
		// Fewer than a batch: done. A batch none of which closed (another
		// replica got there first) would come back the same: stop too.
		if len(idle) < c.Batch || n == 0 {
			return closed, nil
		}
	}
}
