package store

import (
	"context"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// Lifecycle is the conversation lifecycle: a conversation is open, claimed
// or closed (sdk.NextState), a chat has at most one conversation that is
// not closed, and every change queues, in the same transaction, a notice
// to every channel the conversation is in (its lanes and deliveries),
// behind what those lanes already hold.
type Lifecycle interface {
	// ApplyAction applies a desk's action once per (channel,
	// a.ExternalID): a repeat answers Duplicate with the first outcome and
	// changes nothing. The conversation is a.ConversationID or the one
	// whose thread in channel is a.ThreadRef, and must be routed to
	// channel (it has a lane or a delivery there); otherwise the error
	// wraps ErrUnknownConversation and nothing is stored. A change queues
	// conversation_claimed/unclaimed/closed/reopened to every channel;
	// an action that changes nothing queues action_ignored to channel only.
	// An unknown kind or a missing external id wraps ErrInvalidAction.
	ApplyAction(ctx context.Context, channel string, a sdk.Action) (sdk.ActionResult, error)
	// CloseConversation closes a conversation for the host (reason
	// sdk.CloseByOperator or sdk.CloseByIdle), telling every channel. It
	// reports false, changing nothing, when it was closed already.
	CloseConversation(ctx context.Context, id string, c Closing) (bool, error)
	// IdleConversations lists up to limit conversations, not closed, whose
	// last activity (UpdatedAt) is before the given time, oldest first.
	IdleConversations(ctx context.Context, before time.Time, limit int) ([]Conversation, error)
	// ListConversations lists conversations matching f, most recently
	// active first.
	ListConversations(ctx context.Context, f ConversationFilter) ([]Conversation, error)
	// CountByState counts conversations in each state.
	CountByState(ctx context.Context) (map[sdk.ConversationState]int, error)
}

// Closing is a host-made close.
type Closing struct {
	// Reason is sdk.CloseByOperator, sdk.CloseByIdle or sdk.CloseByCustomer.
	Reason string
	// By names who closed it ("an operator", "Parley").
	By string
	// IdleBefore, when set, closes only a conversation still idle since
	// before it: a message that arrived meanwhile keeps it open.
	IdleBefore time.Time
	// Time of the close; now when zero.
	Time time.Time
}

// ConversationFilter selects conversations for ListConversations.
type ConversationFilter struct {
	// State, when set, keeps conversations in that state.
	State sdk.ConversationState
	// TelegramUserID, when set, keeps that user's conversations.
	TelegramUserID int64
	// Number, when set, keeps the conversation with that number.
	Number int64
	// Limit is the most returned; <= 0 means 100.
	Limit int
}

// IntakePolicy is what a customer's message does to a chat whose latest
// conversation is closed ([conversations] in the config).
type IntakePolicy struct {
	// Reopen always reopens (after_close = "reopen").
	Reopen bool
	// ReopenWithin reopens a conversation closed less than this long ago;
	// 0 never does. A close by the customer (/new) is never reopened.
	ReopenWithin time.Duration
}

// Reopens says whether a message at now reopens c (closed) rather than
// starting a new conversation.
func (p IntakePolicy) Reopens(c Conversation, now time.Time) bool {
	if c.CloseReason == sdk.CloseByCustomer {
		return false
	}
	return p.Reopen || (p.ReopenWithin > 0 && now.Sub(c.ClosedAt) < p.ReopenWithin)
}
