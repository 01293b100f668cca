package app

import (
	"context"
	"time"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/lifecycle"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// intakePolicy is what a customer's message does after a close.
func intakePolicy(c config.Conversations) store.IntakePolicy {
	return store.IntakePolicy{Reopen: c.AfterClose == config.AfterCloseReopen, ReopenWithin: c.ReopenWithin.Duration}
}

// closeIdle runs the job that closes conversations idle for [conversations]
// close_after; it returns at once when that is 0.
func (h *host) closeIdle(ctx context.Context) error {
	return lifecycle.IdleCloser{
		Store: h.store, After: h.cfg.Conversations.CloseAfter.Duration, Log: h.log.Named("lifecycle"),
		Closed: func(c store.Conversation) {
			h.disp.Notify()
			h.lifecycle.Closed(sdk.CloseByIdle, time.Since(c.StartedAt))
		},
	}.Run(ctx)
}
