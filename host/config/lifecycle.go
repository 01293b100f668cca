package config

import "time"

// Conversations configures the conversation lifecycle: what a customer's
// message does after a close, and closing idle conversations.
type Conversations struct {
	// AfterClose is AfterCloseNew (the next message starts a new
	// conversation, with a new number and thread) or AfterCloseReopen (the
	// closed conversation reopens).
	AfterClose string
	// ReopenWithin reopens, even with AfterCloseNew, a conversation closed
	// less than this long ago; 0 never does.
	ReopenWithin Duration
	// CloseAfter closes conversations idle this long (reason "idle"); 0,
	// the default, never does.
	CloseAfter Duration
	// Rating asks the customer to rate a closed conversation.
	Rating Rating
	// SeenReaction, when set, is the reaction the bot sets on the
	// customer's latest message when an agent first replies or claims the
	// conversation (once per conversation); one emoji of Telegram's
	// reaction set.
	SeenReaction string
}

// Rating configures the question sent to the customer when a
// conversation closes, answered by tapping one of five buttons.
type Rating struct {
	Enabled bool
	// Question is the text above the buttons.
	Question string
	// Thanks replaces the buttons once tapped.
	Thanks string
	// AfterIdleClose asks after idle closes too (not only an agent's or
	// an operator's).
	AfterIdleClose bool
}

// Values of Conversations.AfterClose.
const (
	AfterCloseNew    = "new"
	AfterCloseReopen = "reopen"
)

// MinCloseAfter is the shortest conversations.close_after accepted (other
// than 0): shorter, a customer typing a long answer would see the
// conversation closed under them.
const MinCloseAfter = time.Second

// maxTelegramText is the longest text a Telegram message may carry.
const maxTelegramText = 4096
