package dispatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// TelegramOps carries out the host rows that are not messages
// (store.TelegramOp): reactions and deletes. Errors carry the markers of
// Telegram's: sdk.Permanent for a refusal (an emoji outside Telegram's
// set, a message older than 48 hours), sdk.RetryAfter, ErrUserBlocked.
type TelegramOps interface {
	SetReaction(ctx context.Context, chatID, messageID int64, emoji string) error
	DeleteMessages(ctx context.Context, chatID int64, messageIDs []int64) error
}

// errNeverSent refuses the delete of a reply that never reached Telegram.
var errNeverSent = sdk.Permanent(errors.New("the reply never reached Telegram"))

// sendOp carries out one queued Telegram operation.
func (d *Dispatcher) sendOp(ctx context.Context, out store.OutgoingReply) {
	op := out.Op
	tg, err := d.telegramOf(out.Conversation.Bot)
	if err != nil {
		d.opFailed(ctx, out, err)
		return
	}
	ops, ok := tg.(TelegramOps)
	if !ok {
		d.opFailed(ctx, out, sdk.Permanent(errors.New("this host cannot set reactions or delete messages")))
		return
	}
	callCtx, cancel := context.WithTimeout(ctx, d.opts.CallTimeout)
	defer cancel()
	switch op.Kind {
	case store.OpReact:
		err = ops.SetReaction(callCtx, out.Conversation.ChatID, op.MessageID, op.Emoji)
	case store.OpDelete:
		err = errNeverSent
		if len(op.TelegramMessageIDs) > 0 {
			err = ops.DeleteMessages(callCtx, out.Conversation.ChatID, op.TelegramMessageIDs)
		}
	default:
		err = sdk.Permanent(fmt.Errorf("unknown operation %q", op.Kind))
	}
	if err != nil {
		if ctx.Err() != nil {
			return // shutdown: the row stays leased and is retried
		}
		d.opFailed(ctx, out, err)
		return
	}
	if err := d.store.CompleteReply(ctx, out.ID, d.opts.Owner, nil); err != nil {
		d.log.Error("recording a Telegram operation failed", "conversation", out.Conversation.ID, "operation", op.Kind, "error", err)
		return
	}
	d.log.Debug("Telegram operation done", "conversation", out.Conversation.ID, "operation", op.Kind,
		"channel", op.Channel, "action", op.ActionExternalID)
}

// opFailed retries an operation Telegram may still accept, or gives up and
// tells the acting channel (the host's own seen reaction tells no one).
func (d *Dispatcher) opFailed(ctx context.Context, out store.OutgoingReply, err error) {
	op := out.Op
	log := d.log.With("conversation", out.Conversation.ID, "operation", op.Kind, "channel", op.Channel, "action", op.ActionExternalID)
	next, permanent := d.nextAttempt(out.Attempts+1, err)
	if errors.Is(err, ErrUserBlocked) {
		permanent = true
	}
	if !permanent {
		log.Warn("Telegram operation failed; will retry", "error", err)
		if rerr := d.store.RetryReply(ctx, out.ID, d.opts.Owner, next, d.redact(err.Error())); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
			log.Error("scheduling the retry failed", "error", rerr)
		}
		return
	}
	// A refusal is the desk's business, not the host's: debug only.
	log.Debug("Telegram refused the operation", "error", err)
	if ferr := d.store.FailReply(ctx, out.ID, d.opts.Owner, d.redact(err.Error())); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
		log.Error("recording the failure failed", "error", ferr)
	}
	if op.Channel == "" {
		return
	}
	n := sdk.Notice{SourceChannel: op.Channel, ActionExternalID: op.ActionExternalID}
	switch op.Kind {
	case store.OpDelete:
		n.Code, n.ReplyExternalID = sdk.NoticeDeleteFailed, op.ReplyExternalID
		n.Text = "This reply could not be deleted in Telegram: " + reason(err)
	default:
		n.Code, n.Emoji = sdk.NoticeReactionFailed, op.Emoji
		n.Text = fmt.Sprintf("The reaction %s could not be set in Telegram: %s", op.Emoji, reason(err))
	}
	n.Text = d.redact(n.Text)
	if err := d.store.EnqueueNotice(ctx, out.Conversation.ID, n, []string{op.Channel}); err != nil {
		log.Error("queueing a notice failed", "notice", n.Code, "error", err)
		return
	}
	wake(d.wakeDeliveries)
}

// reason says in an agent's words why Telegram refused an operation.
func reason(err error) string {
	switch {
	case errors.Is(err, errNeverSent):
		return "the reply never reached the customer."
	case errors.Is(err, ErrUserBlocked):
		return "the customer blocked the bot."
	}
	return err.Error()
}
