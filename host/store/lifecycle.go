package store

import (
	"context"
	"strings"
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

	// SetRatingPolicy makes closes by an agent or an operator (and, with
	// AfterIdleClose, idle closes) ask the customer for a rating: in the
	// close's transaction, a rating is recorded and the question queued
	// as a host reply whose ExternalID is RatingReplyID of the rating.
	// Set it once, after opening and before use; the zero policy asks
	// nothing.
	SetRatingPolicy(p RatingPolicy)
	// RecordRating stores a customer's tap on a rating button once: the
	// update id is recorded (a repeat answers Duplicate), the score is
	// kept if the rating is of the tapping chat, unanswered and younger
	// than RatingValidity, and then, in the same transaction, a rating
	// notice is queued to every channel of the conversation and a host
	// reply editing the question into tap.Thanks.
	RecordRating(ctx context.Context, tap RatingTap) (RatingResult, error)
}

// RatingPolicy is when and what to ask the customer after a close.
type RatingPolicy struct {
	// Question is the text above the buttons; "" asks nothing.
	Question       string
	AfterIdleClose bool
}

// RatingValidity is how long a rating can be given after the question.
const RatingValidity = 7 * 24 * time.Hour

// RatingScale is the highest score.
const RatingScale = 5

// RatingTap is a customer's tap on a rating button, verified as the
// host's own button.
type RatingTap struct {
	// Bot is the config name of the bot the tap came through ("" means
	// DefaultBot); update ids are per bot.
	Bot string
	// UpdateID is the Telegram update of the tap; it is committed once.
	UpdateID int64
	RatingID string
	Score    int
	// ChatID is the chat the tap came from; a rating of another chat is
	// not this customer's to give.
	ChatID int64
	// Thanks replaces the question once rated.
	Thanks string
	// Time of the tap; now when zero.
	Time time.Time
}

// RatingOutcome is what a tap did.
type RatingOutcome string

// Rating outcomes.
const (
	// Rated: the score was stored now.
	Rated RatingOutcome = "rated"
	// AlreadyRated: the rating had a score; this tap changed nothing.
	AlreadyRated RatingOutcome = "already_rated"
	// RatingExpired: no such rating for this chat, or too old.
	RatingExpired RatingOutcome = "expired"
	// RatingDuplicate: the update was committed before.
	RatingDuplicate RatingOutcome = "duplicate"
)

// RatingResult is what RecordRating did.
type RatingResult struct {
	Outcome RatingOutcome
	// ConversationID is the rated conversation (Rated, AlreadyRated).
	ConversationID string
}

// RatingReplyID is the ExternalID of the host reply that asks for rating id.
func RatingReplyID(id string) string { return ratingPrefix + id }

// RatingOf reports whether r is the question of a rating, and which.
func RatingOf(r OutgoingReply) (string, bool) {
	id, ok := strings.CutPrefix(r.Reply.ExternalID, ratingPrefix)
	if r.Channel != "" || r.Reply.EditOf != "" || !ok || strings.Contains(id, ":") {
		return "", false
	}
	return id, true
}

// RatingThanksID is the ExternalID of the host reply that edits rating
// id's question into the thanks.
func RatingThanksID(id string) string { return ratingPrefix + id + ":thanks" }

const ratingPrefix = "rating:"

// Asks says whether a close for reason asks for a rating under p.
func (p RatingPolicy) Asks(reason string) bool {
	if p.Question == "" {
		return false
	}
	switch reason {
	case sdk.CloseByAgent, sdk.CloseByOperator:
		return true
	case sdk.CloseByIdle:
		return p.AfterIdleClose
	}
	return false
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
