package store

import (
	"context"
	"errors"

	"github.com/parley-dev/parley/sdk"
)

// ErrUnknownMessage is returned (wrapped, with ErrInvalidAction) for a
// react or delete action naming a message the conversation does not have.
var ErrUnknownMessage = errors.New("unknown message")

// Reactions are the host's Telegram-side actions that are not lifecycle
// changes: agents' reactions and deletes (queued like replies, so they
// reach Telegram in order with them, with retries, whatever crashes), the
// customers' reactions on agents' replies (notices to the desks), the
// "seen" reaction, and the customer's profile photo.
type Reactions interface {
	// QueueTelegramAction stores a react or delete action of channel once
	// per (channel, a.ExternalID), as the actions table does for lifecycle
	// actions, and queues it in the conversation's reply lane as a host
	// row carrying a TelegramOp. The conversation is found as for
	// ApplyAction (ErrUnknownConversation). A react names the customer's
	// message by a.MessageID (the host's Message.ID) or a.DeskMessageID
	// (what channel's Deliver returned for it); a delete names channel's
	// reply a.ReplyExternalID. A message the conversation does not have
	// wraps ErrUnknownMessage and ErrInvalidAction; nothing is stored.
	QueueTelegramAction(ctx context.Context, channel string, a sdk.Action) (sdk.ActionResult, error)
	// ActionConversation finds the conversation an action of channel
	// names (thread reference or conversation id), changing nothing.
	ActionConversation(ctx context.Context, channel string, a sdk.Action) (Conversation, error)
	// CommitReaction stores a customer's reaction update once: the update
	// id is recorded, and when the message is an agent's reply sent to
	// that chat, one reaction notice per emoji added or removed is queued
	// to every channel of the reply's conversation in the same
	// transaction. Known is false for a message Parley did not send for
	// a desk (nothing but the update id stored).
	CommitReaction(ctx context.Context, r ReactionUpdate) (ReactionResult, error)
	// SetSeenReaction makes an agent's first reply or claim of a
	// conversation queue, in the same transaction and once per
	// conversation, a reaction with emoji on the customer's latest
	// message. Set it once, after opening and before use; "" does nothing.
	SetSeenReaction(emoji string)
	// SetContactPhoto records the customer's profile photo of a
	// conversation: a Telegram file_id, or NoPhoto when there is none to
	// show. Conversation.PhotoRef reads it back.
	SetContactPhoto(ctx context.Context, conversationID, ref string) error
}

// NoPhoto is the PhotoRef of a customer without a visible profile photo
// (none, or hidden by privacy settings): looked up, nothing to show.
const NoPhoto = "-"

// TelegramOpKind says what a TelegramOp does.
type TelegramOpKind string

// Telegram operations queued in a reply lane.
const (
	// OpReact sets (Emoji) or removes (Emoji "") the bot's reaction.
	OpReact TelegramOpKind = "react"
	// OpDelete deletes the messages an agent's reply became.
	OpDelete TelegramOpKind = "delete"
)

// TelegramOp is a host reply row that is not a message: an agent's react
// or delete, or the host's seen reaction (Channel "").
type TelegramOp struct {
	Kind TelegramOpKind
	// Channel is the channel whose action this is ("" for the host's own).
	Channel string
	// ActionExternalID is the action's id in Channel.
	ActionExternalID string
	// Emoji of a react; "" removes the bot's reaction.
	Emoji string
	// MessageID is the Telegram id of the customer's message a react is on.
	MessageID int64
	// ReplyExternalID is the agent's reply (of Channel) a delete deletes.
	ReplyExternalID string
	// TelegramMessageIDs are the messages that reply became, filled in by
	// the claim; empty when it was never sent.
	TelegramMessageIDs []int64
}

// ReactionUpdate is a Telegram message_reaction update of a private chat.
type ReactionUpdate struct {
	// Bot is the bot whose update it is ("" is the default bot).
	Bot       string
	UpdateID  int64
	ChatID    int64
	MessageID int64
	// Added and Removed are the emoji the update added and took away
	// (the difference of its new_reaction and old_reaction lists).
	Added, Removed []string
}

// ReactionResult is what CommitReaction did.
type ReactionResult struct {
	Duplicate bool
	// Known is set when the message is an agent's reply; ConversationID
	// is then its conversation.
	Known          bool
	ConversationID string
}

// SeenReplyID is the ExternalID of the host row that sets the seen
// reaction of a conversation: one per conversation, so set once.
func SeenReplyID(conversationID string) string { return "seen:" + conversationID }

// ActionReplyID is the ExternalID of the host row that carries a channel's
// react or delete action.
func ActionReplyID(channel, externalID string) string { return "action:" + channel + ":" + externalID }
