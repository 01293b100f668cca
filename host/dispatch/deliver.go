package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
)

// errChannelDown is what a delivery to a channel that Channels does not
// know meets: it waits like any unavailable channel, since the channel may
// be restarting or come back after a config fix.
var errChannelDown = fmt.Errorf("%w: channel is not running", ErrChannelUnavailable)

// deliver hands a run of one lane (its head, and the rows claimed behind
// it) to the lane's channel in one call, and records how far it got: the
// delivered rows done, the row that failed scheduled for a retry (or failed
// for good), the rest given back to the lane untouched.
func (d *Dispatcher) deliver(ctx context.Context, run []store.Delivery) {
	if d.completions != nil {
		d.completions.begin()
		defer d.completions.end()
	}
	head := run[0]
	defer d.gate.done(head.Channel)
	ch, ok := d.channels.Channel(head.Channel)
	if !ok {
		err := fmt.Errorf("%w: %s", errChannelDown, head.Channel)
		d.holdForOutage(ctx, run, err, d.outageWait(err))
		return
	}
	req := pluginclient.DeliverBatchRequest{
		Conversation: head.Conversation.SDK(),
		Contact:      d.contact(head.Conversation),
		ThreadRef:    head.ThreadRef,
		// The previous conversation's thread, on the new one's first
		// delivery to this channel, so the desk can link the two.
		PreviousThreadRef: head.PreviousThreadRef,
		Items:             make([]pluginclient.BatchItem, len(run)),
	}
	req.Conversation.Business = d.business(ctx, head.Conversation)
	for i, del := range run {
		req.Items[i] = pluginclient.BatchItem{Message: d.withLinks(del.Message), EditOfDeskMessageID: del.EditOfDeskMessageID}
	}
	timeout := d.opts.CallTimeout
	if len(run) > 1 {
		// The last item may start just before the budget runs out, and gets
		// a whole call's time like any other.
		req.Budget = d.opts.RunBudget
		timeout += d.opts.RunBudget
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	resp := pluginclient.DeliverBatch(callCtx, ch, req)
	cancel()

	n := min(len(resp.Delivered), len(run))
	d.recordDelivered(ctx, run[:n], resp.Delivered, head.ThreadRef)
	rest := run[n:]
	switch {
	case len(rest) == 0:
		return
	case resp.Err != nil && ctx.Err() != nil:
		// Shutdown cut the call short: not the desk's fault, and the rows
		// stay leased to us; the next start (or lease expiry) retries them.
		d.deliveryLog(rest[0]).Debug("delivery interrupted by shutdown", "undelivered", len(rest))
	case resp.Err != nil:
		if wait, down := d.channelUnavailable(resp.Err); down {
			d.holdForOutage(ctx, rest, resp.Err, wait)
			return
		}
		d.deliveryFailed(ctx, rest[0], resp.Err)
		d.release(ctx, rest[1:])
	default:
		d.release(ctx, rest) // the run's time budget ran out first
	}
}

// contact is the conversation's contact as desks get it: with a signed
// link to the profile photo, when the host found one (never Telegram's
// URL, which holds the bot token).
func (d *Dispatcher) contact(c store.Conversation) sdk.Contact {
	ct := c.Contact
	ct.PhotoURL = ""
	if d.links != nil && c.PhotoRef != "" && c.PhotoRef != store.NoPhoto {
		ct.PhotoURL = d.links.Link(sdk.Attachment{FileRef: c.PhotoRef, Name: "photo.jpg", MIMEType: "image/jpeg"})
	}
	return ct
}

// withLinks returns msg with a file link for each attachment the desk can
// fetch through the host.
func (d *Dispatcher) withLinks(msg sdk.Message) sdk.Message {
	if d.links == nil || len(msg.Attachments) == 0 {
		return msg
	}
	msg.Attachments = append([]sdk.Attachment(nil), msg.Attachments...)
	for i, a := range msg.Attachments {
		if !a.TooLarge && a.FileRef != "" {
			msg.Attachments[i].URL = d.links.Link(a)
		}
	}
	return msg
}

// recordDelivered marks the delivered rows of a run done, each with the
// lane's thread as it stood after it.
func (d *Dispatcher) recordDelivered(ctx context.Context, rows []store.Delivery, results []sdk.DeliverResponse, ref []byte) {
	if len(rows) == 0 {
		return
	}
	cs := make([]store.Completion, len(rows))
	for i, del := range rows {
		if r := results[i].ThreadRef; len(r) > 0 {
			ref = r
		}
		cs[i] = store.Completion{ID: del.ID, ThreadRef: ref, DeskMessageID: results[i].DeskMessageID}
	}
	errs := d.completeDeliveries(ctx, cs)
	for i, del := range rows {
		switch err := errs[i]; {
		case errors.Is(err, store.ErrLeaseLost):
			d.deliveryLog(del).Warn("delivered after the lease ran out; another worker may deliver it again", "error", err)
		case err != nil:
			d.deliveryLog(del).Error("recording a delivery failed; it will be delivered again", "error", err)
		default:
			d.observer.Delivered(del.Channel, time.Since(del.CreatedAt))
			if d.log.IsDebug() {
				d.deliveryLog(del).Debug("delivered", "attempt", del.Attempts+1)
			}
		}
	}
}

// release gives the rows of a run that were not attempted back to their
// lane, so it goes on from them at once instead of after their lease.
func (d *Dispatcher) release(ctx context.Context, rows []store.Delivery) {
	rc, ok := d.store.(store.RunClaimer)
	if len(rows) == 0 || !ok {
		return
	}
	ids := make([]int64, len(rows))
	for i, del := range rows {
		ids[i] = del.ID
	}
	if err := rc.ReleaseDeliveries(ctx, d.opts.Owner, ids); err != nil {
		d.deliveryLog(rows[0]).Error("giving back the rest of a run failed; its lane waits for the lease to run out",
			"rows", len(rows), "error", err)
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

// completeDeliveries records deliveries done, with one result per row:
// grouped with others finishing at the same time when the store allows,
// else one by one.
func (d *Dispatcher) completeDeliveries(ctx context.Context, cs []store.Completion) []error {
	if d.completions != nil {
		return d.completions.complete(ctx, cs)
	}
	errs := make([]error, len(cs))
	for i, c := range cs {
		errs[i] = d.store.CompleteDelivery(ctx, c.ID, d.opts.Owner, c.ThreadRef, c.DeskMessageID)
	}
	return errs
}

// deliveryFailed schedules the next attempt, or gives up.
func (d *Dispatcher) deliveryFailed(ctx context.Context, del store.Delivery, err error) {
	log := d.deliveryLog(del)
	attempts := del.Attempts + 1
	next, permanent := d.nextAttempt(attempts, err)
	if permanent {
		log.Error("delivery failed for good", "attempts", attempts, "error", err)
		if ferr := d.store.FailDelivery(ctx, del.ID, d.opts.Owner, d.redact(err.Error())); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
			log.Error("recording the failure failed", "error", ferr)
		}
		d.observer.DeliveryFailed(del.Channel, true)
		return
	}
	log.Warn("delivery failed; will retry", "attempt", attempts, "retry_in", time.Until(next).Round(time.Millisecond), "error", err)
	if rerr := d.store.RetryDelivery(ctx, del.ID, d.opts.Owner, next, d.redact(err.Error())); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
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
		// A plugin's (or Telegram's) hint, within the operator's bound: a
		// desk answering "retry in a year" must not park a message.
		wait = min(hint, d.opts.Backoff.Limit())
	}
	return time.Now().Add(wait), false
}

// redact removes secrets from error text bound for the store or a desk.
func (d *Dispatcher) redact(s string) string { return d.opts.Redact(s) }
