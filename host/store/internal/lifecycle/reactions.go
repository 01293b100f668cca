package lifecycle

import (
	"fmt"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// CheckTelegramAction refuses a react or delete action that cannot apply
// whatever its conversation: no external id, another kind, a delete
// naming no reply.
func CheckTelegramAction(a sdk.Action) error {
	switch {
	case a.ExternalID == "":
		return fmt.Errorf("an action has no external id: actions are deduplicated on it: %w", store.ErrInvalidAction)
	case a.Kind != sdk.ActionReact && a.Kind != sdk.ActionDelete:
		return fmt.Errorf("%w: %q is not a react or delete action", store.ErrInvalidAction, a.Kind)
	case a.Kind == sdk.ActionDelete && a.ReplyExternalID == "":
		return fmt.Errorf("%w: a delete action names no reply (reply_external_id)", store.ErrInvalidAction)
	case a.Kind == sdk.ActionReact && a.MessageID == "" && a.DeskMessageID == "":
		return fmt.Errorf("%w: a react action names no message (message_id or desk_message_id)", store.ErrInvalidAction)
	}
	return nil
}

// UnknownMessage is the error for a react action whose message the
// conversation does not have.
func UnknownMessage(a sdk.Action) error {
	name := "message " + a.MessageID
	if a.MessageID == "" {
		name = "desk message " + a.DeskMessageID
	}
	return fmt.Errorf("%w: %w: %s is not a customer message of this conversation", store.ErrInvalidAction, store.ErrUnknownMessage, name)
}

// UnknownReply is the error for a delete action whose reply the channel
// never sent in this conversation.
func UnknownReply(a sdk.Action) error {
	return fmt.Errorf("%w: %w: reply %s is not this channel's reply in this conversation",
		store.ErrInvalidAction, store.ErrUnknownMessage, a.ReplyExternalID)
}

// ReactionNotices are the notices of a customer's reaction update on the
// agent reply external of channel: one per emoji added, then one per
// emoji removed.
func ReactionNotices(channel, external string, added, removed []string) []sdk.Notice {
	var out []sdk.Notice
	for _, e := range added {
		out = append(out, sdk.Notice{Code: sdk.NoticeReaction, Emoji: e, ReplyExternalID: external, SourceChannel: channel,
			Text: fmt.Sprintf("The customer reacted %s to an agent's reply.", e)})
	}
	for _, e := range removed {
		out = append(out, sdk.Notice{Code: sdk.NoticeReaction, Emoji: e, Removed: true, ReplyExternalID: external, SourceChannel: channel,
			Text: fmt.Sprintf("The customer took back their %s reaction to an agent's reply.", e)})
	}
	return out
}

// TelegramOp is the stored op as the store hands it out.
func TelegramOp(op *payload.Op) *store.TelegramOp {
	return &store.TelegramOp{Kind: store.TelegramOpKind(op.Kind), Channel: op.Channel, ActionExternalID: op.ActionExternalID,
		Emoji: op.Emoji, MessageID: op.MessageID, ReplyExternalID: op.ReplyExternalID}
}
