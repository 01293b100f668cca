package inbound

import (
	"context"
	"fmt"
	"slices"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/intake"
)

// reactionOf reads a customer's reaction in a private chat (a
// message_reaction update) as the emoji it added and removed; nil for
// other updates. Telegram sends the whole old and new lists; only emoji
// reactions count (custom and paid ones have no emoji to show).
func reactionOf(u intake.Update) *store.ReactionUpdate {
	if u.Update == nil || u.Update.MessageReaction == nil {
		return nil
	}
	r := u.Update.MessageReaction
	if r.Chat.Type != telego.ChatTypePrivate {
		return nil
	}
	old, now := emoji(r.OldReaction), emoji(r.NewReaction)
	out := &store.ReactionUpdate{UpdateID: u.ID, ChatID: r.Chat.ID, MessageID: int64(r.MessageID)}
	for _, e := range now {
		if !slices.Contains(old, e) {
			out.Added = append(out.Added, e)
		}
	}
	for _, e := range old {
		if !slices.Contains(now, e) {
			out.Removed = append(out.Removed, e)
		}
	}
	return out
}

func emoji(list []telego.ReactionType) []string {
	var out []string
	for _, r := range list {
		if e, ok := r.(*telego.ReactionTypeEmoji); ok && e.Emoji != "" {
			out = append(out, e.Emoji)
		}
	}
	return out
}

// recordReactions commits the batch's reactions, each once: a reaction on
// an agent's reply becomes notices to the desks (in the store's
// transaction); one on any other message is only recorded, with a debug
// line (a bot in a private chat is told only of reactions on its own
// messages, so that is a host message such as the welcome).
func (h *Handler) recordReactions(ctx context.Context, rs []store.ReactionUpdate) error {
	for _, r := range rs {
		res, err := h.Store.CommitReaction(ctx, r)
		if err != nil {
			return fmt.Errorf("update %d: %w", r.UpdateID, err)
		}
		switch {
		case res.Duplicate:
		case !res.Known:
			h.Log.Debug("a reaction on a message that is no agent reply; ignored", "update_id", r.UpdateID, "message", r.MessageID)
		default:
			if h.Observer != nil {
				h.Observer.UpdateReceived("reaction")
			}
			if h.Notify != nil {
				h.Notify()
			}
		}
	}
	return nil
}
