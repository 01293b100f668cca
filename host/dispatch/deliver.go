package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// errChannelDown is retried: the channel may be restarting or come back
// after a config fix.
var errChannelDown = errors.New("channel is not running")

// deliver hands one stored message to its channel's plugin.
func (d *Dispatcher) deliver(ctx context.Context, del store.Delivery) {
	if d.completions != nil {
		d.completions.begin()
		defer d.completions.end()
	}
	ch, ok := d.channels.Channel(del.Channel)
	if !ok {
		d.deliveryFailed(ctx, del, fmt.Errorf("%w: %s", errChannelDown, del.Channel))
		return
	}
	msg := del.Message
	if d.links != nil && len(msg.Attachments) > 0 {
		msg.Attachments = append([]sdk.Attachment(nil), msg.Attachments...)
		for i, a := range msg.Attachments {
			if !a.TooLarge && a.FileRef != "" {
				msg.Attachments[i].URL = d.links.Link(a)
			}
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, d.opts.CallTimeout)
	resp, err := ch.Deliver(callCtx, sdk.DeliverRequest{
		Conversation:        del.Conversation.SDK(),
		Contact:             del.Conversation.Contact,
		Message:             msg,
		ThreadRef:           del.ThreadRef,
		EditOfDeskMessageID: del.EditOfDeskMessageID,
	})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// Shutdown cut the call short: not the desk's fault, and the row
			// stays leased to us; the next start (or lease expiry) retries it.
			d.deliveryLog(del).Debug("delivery interrupted by shutdown")
			return
		}
		d.deliveryFailed(ctx, del, err)
		return
	}
	ref := resp.ThreadRef
	if len(ref) == 0 {
		ref = del.ThreadRef
	}
	if err := d.completeDelivery(ctx, del.ID, ref, resp.DeskMessageID); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			d.deliveryLog(del).Warn("delivered after the lease ran out; another worker may deliver it again", "error", err)
			return
		}
		d.deliveryLog(del).Error("recording a delivery failed; it will be delivered again", "error", err)
		return
	}
	d.observer.Delivered(del.Channel, time.Since(del.CreatedAt))
	if d.log.IsDebug() {
		d.deliveryLog(del).Debug("delivered", "attempt", del.Attempts+1)
	}
}

// deliveryLog names a delivery in log lines. It is built only for a line
// that is written: a logger with these fields for every delivery was about
// 1% of the host's CPU under load, nearly all of it for lines dropped below
// the log level.
func (d *Dispatcher) deliveryLog(del store.Delivery) hclog.Logger {
	return d.log.With("conversation", del.Conversation.ID, "channel", del.Channel,
		"message", del.Message.ID, "delivery", del.ID)
}

// completeDelivery records a delivery done: grouped with others finishing
// at the same time when the store allows, else on its own.
func (d *Dispatcher) completeDelivery(ctx context.Context, id int64, threadRef []byte, deskMessageID string) error {
	if d.completions == nil {
		return d.store.CompleteDelivery(ctx, id, d.opts.Owner, threadRef, deskMessageID)
	}
	return d.completions.complete(ctx, store.Completion{ID: id, ThreadRef: threadRef, DeskMessageID: deskMessageID})
}

// deliveryFailed schedules the next attempt, or gives up.
func (d *Dispatcher) deliveryFailed(ctx context.Context, del store.Delivery, err error) {
	log := d.deliveryLog(del)
	attempts := del.Attempts + 1
	next, permanent := d.nextAttempt(attempts, err)
	if permanent {
		log.Error("delivery failed for good", "attempts", attempts, "error", err)
		if ferr := d.store.FailDelivery(ctx, del.ID, d.opts.Owner, err.Error()); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
			log.Error("recording the failure failed", "error", ferr)
		}
		d.observer.DeliveryFailed(del.Channel, true)
		return
	}
	log.Warn("delivery failed; will retry", "attempt", attempts, "retry_in", time.Until(next).Round(time.Millisecond), "error", err)
	if rerr := d.store.RetryDelivery(ctx, del.ID, d.opts.Owner, next, err.Error()); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
		log.Error("scheduling the retry failed", "error", rerr)
	}
	d.observer.DeliveryFailed(del.Channel, false)
}

// nextAttempt decides when to try again after the given number of failed
// attempts, honouring a plugin's retry hint, or says to give up.
func (d *Dispatcher) nextAttempt(attempts int, err error) (time.Time, bool) {
	if sdk.IsPermanent(err) || attempts >= d.opts.MaxAttempts {
		return time.Time{}, true
	}
	wait := d.opts.Backoff.Next(attempts)
	if hint, ok := sdk.RetryHint(err); ok && hint > 0 {
		wait = hint
	}
	return time.Now().Add(wait), false
}
