package app

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/router"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/buttons"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/sdk"
)

// intakeHandler commits Telegram updates to the store. It is the only path
// from Telegram into Parley (polling and webhook mode alike), and it returns
// only after every update of the batch is committed: that is what lets the
// caller confirm the batch to Telegram.
type intakeHandler struct {
	store   store.Store
	router  *router.Router
	welcome string
	// policy is what a message does after a close ([conversations]).
	policy   store.IntakePolicy
	opts     normalize.Options
	notify   func()
	log      hclog.Logger
	observer IntakeObserver
	// lifecycle, when set, counts customers' closes (/new) and ratings.
	lifecycle LifecycleObserver
	// buttons checks taps on the host's inline buttons; taps are
	// answered with answer. Without them taps are only recorded.
	buttons *buttons.Signer
	answer  func(ctx context.Context, queryID, text string) error
	// thanks answers a rating ([conversations.rating] thanks).
	thanks string
}

// Answers to taps on rating buttons.
const (
	answerExpired      = "This rating has expired."
	answerAlreadyRated = "You have already rated this conversation. Thank you!"
)

// tap is a tap on a rating button, to record after the batch.
type tap struct {
	queryID string
	rating  *store.RatingTap // nil when the button is not a valid rating of this host
}

// IntakeObserver counts updates (metrics).
type IntakeObserver interface {
	UpdateReceived(kind string)
}

func (h *intakeHandler) handle(ctx context.Context, batch []intake.Update) error {
	ins := make([]store.Inbound, 0, len(batch))
	kinds := make([]string, 0, len(batch))
	var taps []tap
	for _, u := range batch {
		in, kind := h.inbound(u)
		if t := h.tapOf(u, in); t != nil {
			taps = append(taps, *t)
			if t.rating != nil {
				continue // RecordRating commits the update
			}
		}
		ins, kinds = append(ins, in), append(kinds, kind)
	}
	results, err := h.commitAll(ctx, ins)
	if err != nil {
		return err
	}
	if err := h.recordTaps(ctx, taps); err != nil {
		return err
	}
	committed := 0
	for i, cr := range results {
		fresh, err := h.committed(ctx, ins[i], kinds[i], cr)
		if err != nil {
			return fmt.Errorf("update %d: %w", ins[i].UpdateID, err)
		}
		if fresh {
			committed++
		}
	}
	if committed > 0 && h.notify != nil {
		h.notify()
	}
	return nil
}

// commitAll stores the batch in one transaction when the store can
// (store.InboundBatcher: intake then costs one write per getUpdates batch,
// not one per update), else update by update.
func (h *intakeHandler) commitAll(ctx context.Context, ins []store.Inbound) ([]store.CommitResult, error) {
	if b, ok := h.store.(store.InboundBatcher); ok && len(ins) > 1 {
		return b.CommitInbounds(ctx, ins)
	}
	out := make([]store.CommitResult, len(ins))
	for i, in := range ins {
		cr, err := h.store.CommitInbound(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", in.UpdateID, err)
		}
		out[i] = cr
	}
	return out, nil
}

// inbound normalises one update into what the store commits, and names
// its kind for the metrics.
func (h *intakeHandler) inbound(u intake.Update) (store.Inbound, string) {
	var res normalize.Result
	if u.Update == nil {
		h.log.Warn("undecodable Telegram update; passing it on as unsupported", "update_id", u.ID, "error", u.DecodeErr)
		res = normalize.Raw(u.ID, u.Raw, u.DecodeErr)
	} else {
		var err error
		res, err = normalize.Update(*u.Update, h.opts)
		if err != nil {
			h.log.Warn("malformed Telegram update; passing it on as unsupported", "update_id", u.ID, "error", err)
			res = normalize.Raw(u.ID, u.Raw, err)
		}
	}
	in := store.Inbound{UpdateID: u.ID, Time: res.Time}
	kind := "ignored"
	if res.Kind == normalize.Tap {
		// Only the update id here; tapOf and recordTaps do the rest.
		return in, "tap"
	}
	if res.Kind != normalize.Private || res.ChatID == 0 {
		// Still committed (with no chat), so the offset moves past it.
		h.log.Info("ignored Telegram update", "update_id", u.ID, "reason", res.Reason)
	} else {
		kind = "message"
		in.ChatID = res.ChatID
		in.Contact = res.Contact
		in.Channels = h.router.Channels()
		in.Policy = h.policy
		if res.New {
			kind = "new"
			in.CloseCurrent = true
		}
		if res.Message != nil {
			in.Messages = []sdk.Message{*res.Message}
			kind = string(res.Message.Kind)
		}
		if res.Start != nil {
			kind = "start"
			payload := res.Start.Payload
			in.StartPayload = &payload
			if h.welcome != "" {
				in.Answer = &sdk.Reply{ExternalID: fmt.Sprintf("welcome:%d", u.ID), Text: h.welcome, Format: sdk.FormatPlain}
			}
		}
	}
	return in, kind
}

// committed finishes one committed update; it reports whether anything new
// was stored.
func (h *intakeHandler) committed(ctx context.Context, in store.Inbound, kind string, cr store.CommitResult) (bool, error) {
	if cr.Duplicate {
		return false, nil
	}
	// Counted once committed, so a batch retried after a failed commit (or
	// redelivered by Telegram) is not counted twice.
	if h.observer != nil {
		h.observer.UpdateReceived(kind)
	}
	if c := cr.Closed; c != nil && h.lifecycle != nil {
		h.lifecycle.Closed(c.CloseReason, c.ClosedAt.Sub(c.StartedAt))
	}
	if in.ChatID != 0 && cr.Conversation.Blocked {
		// The user wrote again: they unblocked the bot.
		if err := h.store.SetBlocked(ctx, cr.Conversation.ID, false); err != nil {
			return true, err
		}
	}
	if in.ChatID != 0 && h.log.IsDebug() {
		h.log.Debug("update committed", "update_id", in.UpdateID, "conversation", cr.Conversation.ID, "kind", kind)
	}
	return true, nil
}

// tapOf reads a tap on an inline button from an update that normalised to
// a tap (in then records only its update id); nil for other updates.
func (h *intakeHandler) tapOf(u intake.Update, in store.Inbound) *tap {
	if u.Update == nil || u.Update.CallbackQuery == nil {
		return nil
	}
	res, err := normalize.Update(*u.Update, h.opts)
	if err != nil || res.Kind != normalize.Tap {
		return nil
	}
	t := &tap{queryID: res.Tap.QueryID}
	if h.buttons == nil {
		return t
	}
	b, err := h.buttons.Verify(res.Tap.Data)
	if err != nil || b.Kind != ratingButton {
		h.log.Warn("a tap on a button this host did not make; answered as expired", "update_id", in.UpdateID)
		return t
	}
	t.rating = &store.RatingTap{UpdateID: in.UpdateID, RatingID: b.ID, Score: b.Value, ChatID: res.ChatID, Thanks: h.thanks}
	return t
}

// recordTaps stores the batch's ratings, each once, and answers every tap:
// after the store, so a crash leaves a tap unanswered (the button's
// spinner stops by itself) rather than answered and lost.
func (h *intakeHandler) recordTaps(ctx context.Context, taps []tap) error {
	for _, t := range taps {
		answer := answerExpired
		if t.rating != nil {
			res, err := h.store.RecordRating(ctx, *t.rating)
			if err != nil {
				return fmt.Errorf("update %d: %w", t.rating.UpdateID, err)
			}
			h.log.Info("rating tap", "update_id", t.rating.UpdateID, "outcome", res.Outcome, "conversation", res.ConversationID)
			switch res.Outcome {
			case store.Rated, store.RatingDuplicate:
				answer = h.thanks
				if res.Outcome == store.Rated {
					if h.lifecycle != nil {
						h.lifecycle.Rated(t.rating.Score)
					}
					if h.notify != nil {
						h.notify()
					}
				}
			case store.AlreadyRated:
				answer = answerAlreadyRated
			}
		}
		if h.answer != nil && t.queryID != "" {
			if err := h.answer(ctx, t.queryID, answer); err != nil {
				h.log.Warn("answering a tap failed", "error", err)
			}
		}
	}
	return nil
}
