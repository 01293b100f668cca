package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// sendReply sends one stored reply to its Telegram chat.
func (d *Dispatcher) sendReply(ctx context.Context, out store.OutgoingReply) {
	if out.Op != nil {
		d.sendOp(ctx, out)
		return
	}
	log := d.log.With("conversation", out.Conversation.ID, "channel", out.Channel,
		"reply", out.Reply.ExternalID, "reply_id", out.ID)
	chatID := out.Conversation.ChatID
	callCtx, cancel := context.WithTimeout(ctx, 4*d.opts.CallTimeout)
	defer cancel()
	callCtx, ok := d.throughBusiness(callCtx, out)
	if !ok {
		return
	}

	tg, err := d.telegramOf(out.Conversation.Bot)
	if err != nil {
		d.replyFailed(ctx, out, err)
		return
	}
	reply := out.Reply
	if id, ok := store.RatingOf(out); ok {
		if asker, ok := tg.(RatingAsker); ok {
			// One message: sent whole or not at all, so a retry cannot
			// ask twice unless Telegram took it and the answer was lost.
			msgID, err := asker.AskRating(callCtx, chatID, id, reply.Text)
			if err != nil {
				d.replyFailed(ctx, out, err)
				return
			}
			d.completeReply(ctx, out, []int64{msgID}, nil)
			return
		}
	}
	if id, ok := store.MenuOf(out); ok {
		if asker, ok := tg.(MenuAsker); ok {
			// One message, as a rating's question.
			msgID, err := asker.AskMenu(callCtx, chatID, id, reply.Text)
			if err != nil {
				d.replyFailed(ctx, out, err)
				return
			}
			d.completeReply(ctx, out, []int64{msgID}, nil)
			return
		}
	}
	if reply.EditOf != "" {
		if len(out.EditOfTelegramMessageIDs) > 0 && len(reply.Attachments) == 0 {
			err := tg.EditReply(callCtx, chatID, out.EditOfTelegramMessageIDs[0], reply)
			if err == nil {
				d.completeReply(ctx, out, out.EditOfTelegramMessageIDs[:1], nil)
				return
			}
			if !sdk.IsPermanent(err) {
				d.replyFailed(ctx, out, err)
				return
			}
			log.Info("the message cannot be edited in Telegram; sending the edit as a correction", "error", err)
		}
		reply.Text = "Correction: " + reply.Text
	}

	res, err := tg.SendReply(callCtx, chatID, reply, d.opener(out.Channel), out.Sent)
	if err != nil {
		// What reached the user is kept first, so no retry (or other
		// replica, should this one die now) sends those parts again.
		d.recordProgress(ctx, out, res.Progress)
		if ctx.Err() != nil {
			log.Debug("reply interrupted by shutdown")
			return
		}
		d.replyFailed(ctx, out, err)
		return
	}
	d.completeReply(ctx, out, res.MessageIDs, res.Failed)
}

// recordProgress stores how far a reply got when it advanced past what the
// claim said (see store.ReplyProgressRecorder).
func (d *Dispatcher) recordProgress(ctx context.Context, out store.OutgoingReply, progress []int64) {
	pr, ok := d.store.(store.ReplyProgressRecorder)
	if !ok || len(progress) <= len(out.Sent) {
		return
	}
	if err := pr.RecordReplyProgress(ctx, out.ID, d.opts.Owner, progress); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		d.log.Error("recording how far a reply got failed; a retry may send its first parts again",
			"reply_id", out.ID, "error", err)
	}
}

func (d *Dispatcher) completeReply(ctx context.Context, out store.OutgoingReply, ids []int64, failed []FailedAttachment) {
	log := d.log.With("conversation", out.Conversation.ID, "channel", out.Channel, "reply", out.Reply.ExternalID)
	if err := d.store.CompleteReply(ctx, out.ID, d.opts.Owner, ids); err != nil {
		log.Error("recording a sent reply failed", "error", err)
		return
	}
	d.observer.ReplySent(out.Channel, time.Since(out.CreatedAt))
	log.Debug("reply sent", "telegram_messages", len(ids))
	d.markRead(ctx, out)
	for _, f := range failed {
		log.Warn("an attachment of the reply was not sent", "file", f.Name, "reason", f.Reason)
		d.notice(ctx, out, sdk.Notice{
			Code:            sdk.NoticeAttachmentFailed,
			Text:            fmt.Sprintf("The file %q could not be sent to the user: %s. The text of the reply was sent.", f.Name, f.Reason),
			ReplyExternalID: out.Reply.ExternalID,
		}, false)
	}
}

// replyFailed schedules the next attempt, or gives up and tells the desk.
func (d *Dispatcher) replyFailed(ctx context.Context, out store.OutgoingReply, err error) {
	log := d.log.With("conversation", out.Conversation.ID, "channel", out.Channel, "reply", out.Reply.ExternalID)
	if errors.Is(err, ErrUserBlocked) {
		log.Warn("the user blocked the bot; the reply cannot be delivered", "error", err)
		if serr := d.store.SetBlocked(ctx, out.Conversation.ID, true); serr != nil {
			log.Error("marking the conversation blocked failed", "error", serr)
		}
		d.failReply(ctx, out, err)
		d.notice(ctx, out, sdk.Notice{
			Code:            sdk.NoticeUserBlocked,
			Text:            "The user blocked the bot or deleted their account: replies cannot reach them until they write again.",
			ReplyExternalID: out.Reply.ExternalID,
		}, true)
		return
	}
	attempts := out.Attempts + 1
	next, permanent := d.nextAttempt(attempts, err)
	if wait, down := d.channelUnavailable(err); down {
		// The reply's files are in a desk plugin that is not running: the
		// reply waits for it however long that takes, never failed for it.
		next, permanent = time.Now().Add(wait), false
	}
	if permanent {
		log.Error("reply failed for good", "attempts", attempts, "error", err)
		d.failReply(ctx, out, err)
		d.notice(ctx, out, sdk.Notice{
			Code:            sdk.NoticeReplyFailed,
			Text:            "This reply could not be sent to the user: " + err.Error(),
			ReplyExternalID: out.Reply.ExternalID,
		}, false)
		return
	}
	log.Warn("reply failed; will retry", "attempt", attempts, "retry_in", time.Until(next).Round(time.Millisecond), "error", err)
	if rerr := d.store.RetryReply(ctx, out.ID, d.opts.Owner, next, d.redact(err.Error())); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
		log.Error("scheduling the retry failed", "error", rerr)
	}
	d.observer.ReplyFailed(out.Channel, false)
}

func (d *Dispatcher) failReply(ctx context.Context, out store.OutgoingReply, err error) {
	if ferr := d.store.FailReply(ctx, out.ID, d.opts.Owner, d.redact(err.Error())); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
		d.log.Error("recording the failure failed", "reply_id", out.ID, "error", ferr)
	}
	d.observer.ReplyFailed(out.Channel, true)
}

// notice queues a host notice: to every routed channel when all is set
// (the whole team should know), else to the channel the reply came from.
func (d *Dispatcher) notice(ctx context.Context, out store.OutgoingReply, n sdk.Notice, all bool) {
	var channels []string
	switch {
	case all && d.routes != nil:
		channels = d.routes.Route(out.Conversation)
	case out.Channel != "":
		channels = []string{out.Channel}
	}
	if len(channels) == 0 {
		return
	}
	// A notice quotes errors, which may quote a URL with a token in it.
	n.Text = d.redact(n.Text)
	if err := d.store.EnqueueNotice(ctx, out.Conversation.ID, n, channels); err != nil {
		d.log.Error("queueing a notice failed", "conversation", out.Conversation.ID, "notice", n.Code, "error", err)
		return
	}
	wake(d.wakeDeliveries)
}

// opener fetches reply attachments from the channel that made the reply.
func (d *Dispatcher) opener(channel string) OpenAttachment {
	return func(ctx context.Context, a sdk.ReplyAttachment) (io.ReadCloser, sdk.FileInfo, error) {
		ch, ok := d.channels.Channel(channel)
		if !ok {
			return nil, sdk.FileInfo{}, fmt.Errorf("%w: %s", errChannelDown, channel)
		}
		op, ok := ch.(sdk.AttachmentOpener)
		if !ok {
			return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("channel %s cannot serve attachments", channel))
		}
		return op.OpenAttachment(ctx, a.Ref)
	}
}
