// Package store is the only owner of Parley's state: conversations, the
// messages users sent, the outbox of deliveries to desk channels, agent
// replies bound for Telegram, and small host secrets.
//
// Store is an interface with one driver per database (SQLite now,
// PostgreSQL for several replicas); callers never see SQL. Every method
// that changes state does so in one transaction, so a crash at any moment
// leaves either all of a change or none of it.
//
// Work queues (deliveries and replies) are claimed with a lease: a worker
// owns a row until it completes, retries or fails it, or until the lease
// runs out, after which any worker may claim it again. Rows form lanes —
// a delivery lane is (conversation, channel), a reply lane is a
// conversation — and only the oldest unfinished row of a lane is ever
// claimable, which is what keeps each lane strictly in order.
package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// ErrNotFound is returned when a named row does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnknownConversation is returned for a reply whose thread or
// conversation id matches no conversation of the channel.
var ErrUnknownConversation = errors.New("unknown conversation")

// ErrInvalidAction is returned for a desk action the host cannot apply
// whatever its conversation: an unknown kind, no external id.
var ErrInvalidAction = errors.New("invalid action")

// ErrLeaseLost is returned when a worker finishes a row it no longer owns
// (its lease ran out and another worker claimed the row).
var ErrLeaseLost = errors.New("lease lost")

// DefaultBot is the name of the bot of the one-bot form of the config
// ([telegram]), and of every conversation, update and offset stored before
// there were several bots.
const DefaultBot = "default"

// PollerLease names the leadership that lets one replica poll Telegram for
// bot: "telegram-poller" for the default bot (the name replicas of earlier
// versions take), with ":<bot>" for the others.
func PollerLease(bot string) string {
	if bot == "" || bot == DefaultBot {
		return "telegram-poller"
	}
	return "telegram-poller:" + bot
}

// PollerLeaseBot is the bot whose poller lease name is, and whether name
// is a poller lease at all.
func PollerLeaseBot(name string) (string, bool) {
	if name == "telegram-poller" {
		return DefaultBot, true
	}
	bot, ok := strings.CutPrefix(name, "telegram-poller:")
	return bot, ok && bot != ""
}

// ChatKey names a chat's conversations: Telegram chat ids are per bot, and
// a Telegram Business connection makes another chat of the same id.
type ChatKey struct {
	// Bot is the config name of the bot; "" means DefaultBot.
	Bot string
	// BusinessConnectionID is the Telegram Business connection the chat
	// is reached through; "" for the bot's own chats.
	BusinessConnectionID string
	ChatID               int64
}

// BotOr returns bot, or DefaultBot when it is "".
func BotOr(bot string) string {
	if bot == "" {
		return DefaultBot
	}
	return bot
}

// Conversation is one Telegram private chat of one bot.
type Conversation struct {
	ID string
	// Number is a short sequential handle, unique in the store.
	Number int64
	// Bot is the config name of the bot the conversation came through;
	// its replies leave through the same bot.
	Bot string
	// BusinessConnectionID is the Telegram Business connection of the
	// chat, "" outside Business.
	BusinessConnectionID string
	ChatID               int64
	Contact              sdk.Contact
	StartPayload         string
	Blocked              bool
	StartedAt            time.Time
	UpdatedAt            time.Time
	// Lifecycle (lifecycle.go): state, who claimed or closed it, when and
	// why it closed, and the chat's conversation before this one.
	State          sdk.ConversationState
	ClaimedBy      string
	ClosedBy       string
	CloseReason    string
	ClosedAt       time.Time
	PreviousID     string
	PreviousNumber int64
	// PhotoRef is the customer's profile photo: "" not looked up yet,
	// NoPhoto none to show, else its Telegram file_id (Reactions).
	PhotoRef string
	// RouteState and Route: the channels the conversation goes to
	// (routing.go).
	RouteState RouteState
	Route      []string
}

// Key is the conversation's chat key.
func (c Conversation) Key() ChatKey {
	return ChatKey{Bot: c.Bot, BusinessConnectionID: c.BusinessConnectionID, ChatID: c.ChatID}
}

// SDK returns the conversation as the protocol carries it.
func (c Conversation) SDK() sdk.Conversation {
	return sdk.Conversation{
		ID: c.ID, Number: c.Number, Bot: c.Bot, TelegramChatID: c.ChatID, StartedAt: c.StartedAt,
		StartPayload: c.StartPayload, Blocked: c.Blocked,
		State: c.State, ClaimedBy: c.ClaimedBy, PreviousID: c.PreviousID, PreviousNumber: c.PreviousNumber,
	}
}

// Inbound is one Telegram update, normalised, ready to commit.
type Inbound struct {
	// Bot is the config name of the bot the update came through; ""
	// means DefaultBot. Update ids, offsets and chats are per bot.
	Bot string
	// UpdateID is Telegram's update id; an update is committed once per bot.
	UpdateID int64
	// BusinessConnectionID is the Telegram Business connection the chat is
	// reached through, "" outside Business; part of the chat's key.
	BusinessConnectionID string
	// ChatID is the private chat; 0 records only the update id (an update
	// Parley ignores, such as a group message), so the offset moves past it.
	ChatID  int64
	Contact sdk.Contact
	// StartPayload, when non-nil, is the /start deep-link payload to keep on
	// the conversation ("" for a bare /start).
	StartPayload *string
	// Messages to deliver (each ID stable and unique; a message whose ID is
	// already stored is skipped). May be empty, e.g. for a bare /start.
	Messages []sdk.Message
	// Channels each message is delivered to when the conversation has no
	// route of its own (RouteDefault): the default route.
	Channels []string
	// Routing, when set, routes a conversation this update starts (or one
	// still RouteUndecided); nil when no routing is configured.
	Routing *Routing
	// Answer, when set, is a host message sent to the user through the reply
	// queue (the welcome message). Its ExternalID must be unique.
	Answer *sdk.Reply
	// Time of the update; now when zero.
	Time time.Time
	// CloseCurrent closes the chat's open or claimed conversation first
	// (the customer sent /new), reason sdk.CloseByCustomer, telling
	// Channels; the update's messages, if any, then start a new one.
	CloseCurrent bool
	// Policy says what a message for a chat whose conversation is closed
	// does: reopen it, or start a new one.
	Policy IntakePolicy
	// Away, when set (a message outside business hours), queues an away
	// message after the update's messages, unless the throttle says not to.
	Away *Away
}

// Away is an away message a customer may be sent outside business hours.
// The store queues Reply as a host reply in the update's conversation,
// in the update's transaction, only when the conversation had no away
// message since At-Every and no agent reply (CommitReplies) since
// At-AgentQuiet; it then records At as the conversation's last away
// message. Kept with the conversation, the throttle holds across restarts
// and replicas.
type Away struct {
	// Reply is the message; its ExternalID must be unique.
	Reply sdk.Reply
	// At is now by the host's clock (the business hours' clock).
	At         time.Time
	Every      time.Duration
	AgentQuiet time.Duration
}

// CommitResult says what CommitInbound did.
type CommitResult struct {
	// Duplicate is true when the update had been committed before; nothing
	// was changed.
	Duplicate    bool
	Conversation Conversation
	// Created is true when this update started the conversation.
	Created bool
	// Reopened is true when this update reopened a closed conversation.
	Reopened bool
	// Closed is the conversation CloseCurrent closed, if it closed one.
	Closed *Conversation
}

// Delivery is a claimed outbox row: one message for one channel.
type Delivery struct {
	ID           int64
	Channel      string
	Conversation Conversation
	Message      sdk.Message
	// ThreadRef is the lane's thread reference, nil before the first
	// successful delivery.
	ThreadRef []byte
	// EditOfDeskMessageID is the desk id of the original when Message is an
	// edit and the original was delivered.
	EditOfDeskMessageID string
	// PreviousThreadRef is, while ThreadRef is nil, the lane thread
	// reference of the conversation before this one (PreviousID) in the
	// same channel, so the desk can link the new thread to the old one.
	PreviousThreadRef []byte
	// Attempts made before this claim.
	Attempts  int
	CreatedAt time.Time
}

// OutgoingReply is a claimed reply bound for Telegram.
type OutgoingReply struct {
	ID int64
	// Channel that produced the reply; "" for host messages.
	Channel      string
	Conversation Conversation
	Reply        sdk.Reply
	// EditOfTelegramMessageIDs are the Telegram ids of the reply this one
	// edits, when it was sent.
	EditOfTelegramMessageIDs []int64
	// Sent is the progress of an earlier attempt that failed half way,
	// as recorded by ReplyProgressRecorder: one entry per part handled,
	// the Telegram id of the message it became or 0 for a part that sent
	// nothing. A retry resumes after them. Empty for a fresh reply.
	Sent      []int64
	Attempts  int
	CreatedAt time.Time
	// Op, when set, makes this host row a Telegram operation (a reaction
	// or a delete) instead of a message; Reply carries only its ids.
	Op *TelegramOp
}

// ReplyResult is the fate of one reply given to CommitReplies.
type ReplyResult struct {
	// Duplicate means the same (channel, external id) was stored before.
	Duplicate      bool
	ConversationID string
	// FirstReply is set on the conversation's first agent reply; it
	// carries how long after the conversation started it came (a metric).
	FirstReply time.Duration
}

// State of a queued row.
type State string

// Row states.
const (
	StatePending State = "pending"
	StateDone    State = "done"
	StateFailed  State = "failed"
)

// QueueRow is a delivery or reply as listed for operators.
type QueueRow struct {
	ID             int64
	Kind           string // "delivery" or "reply"
	Channel        string
	ConversationID string
	MessageID      string // delivery: message id; reply: external id
	State          State
	Attempts       int
	LastError      string
	NextAttemptAt  time.Time
	CreatedAt      time.Time
}

// Backlog is the pending work of one channel.
type Backlog struct {
	Channel string
	Pending int
	Failed  int
	// OldestPending is when the oldest pending row was created, zero if none.
	OldestPending time.Time
}

// Replica is one running host as it reports itself.
type Replica struct {
	// Owner is the replica's unique worker name (as in ClaimOptions.Owner).
	Owner    string
	Hostname string
	PID      int
	Version  string
	// Leads lists the leadership leases it holds ("telegram-poller").
	Leads     []string
	StartedAt time.Time
	SeenAt    time.Time
}

// ClaimOptions bound a claim.
type ClaimOptions struct {
	// Owner names the worker (unique per process).
	Owner string
	// Limit is the most rows returned (at most one per lane).
	Limit int
	// Lease is how long the rows stay owned.
	Lease time.Duration
	// Now fixes the claim's time, for tests; when zero, the store's clock:
	// time.Now for SQLite, the database server's clock for PostgreSQL, so
	// replicas whose clocks disagree still agree on every lease.
	Now time.Time
	// SkipChannels are channels whose deliveries a claim passes over
	// (the dispatcher's channels that are saturated or down), so the
	// limit goes to other channels' lanes. Replies ignore it.
	SkipChannels []string
}

// Store is the state of a Parley installation.
type Store interface {
	// CommitInbound stores an update: conversation, messages, one delivery
	// per message and channel, an optional answer, and the update id, in one
	// transaction.
	CommitInbound(ctx context.Context, in Inbound) (CommitResult, error)
	// TelegramOffset is the next update id to ask Telegram for on behalf
	// of bot: one past the bot's highest committed update id, 0 when none.
	TelegramOffset(ctx context.Context, bot string) (int64, error)

	// ClaimDeliveries leases the oldest pending row of up to Limit ready
	// lanes. A lane whose head is leased by another worker is skipped.
	ClaimDeliveries(ctx context.Context, opt ClaimOptions) ([]Delivery, error)
	// CompleteDelivery marks a delivery done and stores the lane's thread
	// reference and the desk's message id.
	CompleteDelivery(ctx context.Context, id int64, owner string, threadRef []byte, deskMessageID string) error
	// RetryDelivery records a failed attempt and schedules the next one.
	RetryDelivery(ctx context.Context, id int64, owner string, next time.Time, lastErr string) error
	// FailDelivery gives up on a delivery; the lane moves on.
	FailDelivery(ctx context.Context, id int64, owner string, lastErr string) error
	// EnqueueNotice stores a host notice in a conversation and queues it to
	// the channels.
	EnqueueNotice(ctx context.Context, conversationID string, n sdk.Notice, channels []string) error

	// CommitReplies stores agent replies of one channel, each once per
	// (channel, external id). Each reply names its conversation by
	// ConversationID or by ThreadRef (a thread the channel returned from
	// Deliver). If any reply is for an unknown conversation, nothing is
	// stored and the error wraps ErrUnknownConversation.
	CommitReplies(ctx context.Context, channel string, replies []sdk.Reply) ([]ReplyResult, error)
	// ClaimReplies leases the oldest pending reply of up to Limit ready
	// conversations.
	ClaimReplies(ctx context.Context, opt ClaimOptions) ([]OutgoingReply, error)
	// CompleteReply marks a reply sent, with the Telegram ids of the
	// messages it became.
	CompleteReply(ctx context.Context, id int64, owner string, telegramMessageIDs []int64) error
	// RetryReply records a failed attempt and schedules the next one.
	RetryReply(ctx context.Context, id int64, owner string, next time.Time, lastErr string) error
	// FailReply gives up on a reply.
	FailReply(ctx context.Context, id int64, owner string, lastErr string) error
	// SetBlocked marks a conversation blocked (the user blocked the bot) or
	// unblocked (the user wrote again).
	SetBlocked(ctx context.Context, conversationID string, blocked bool) error
	// Conversation finds a conversation by id.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// ConversationByChat finds the latest conversation of a chat of the
	// default bot outside Business: ConversationByKey(ChatKey{ChatID: chatID}).
	ConversationByChat(ctx context.Context, chatID int64) (Conversation, error)
	// ConversationByKey finds the latest conversation of a chat (the one
	// not closed, if any: it is always the latest).
	ConversationByKey(ctx context.Context, key ChatKey) (Conversation, error)
	// Conversations lists the most recently active conversations.
	Conversations(ctx context.Context, limit int) ([]Conversation, error)

	// Queue lists deliveries and replies in the given states (all when
	// none), newest first.
	Queue(ctx context.Context, limit int, states ...State) ([]QueueRow, error)
	// RetryNow makes a failed or pending row ready now, resetting its
	// attempts. kind is "delivery" or "reply".
	RetryNow(ctx context.Context, kind string, id int64) error
	// Backlog summarises pending and failed rows per channel (replies count
	// under the channel "telegram").
	Backlog(ctx context.Context) ([]Backlog, error)

	// Secret returns the named host secret, creating it with gen once.
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)

	// TryLead acquires or renews the named leadership lease for owner until
	// now+ttl, and reports whether owner holds it. One replica polls
	// Telegram this way; a dead leader's lease runs out and another takes
	// over.
	TryLead(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// ReleaseLead gives the lease up if owner holds it (graceful shutdown).
	ReleaseLead(ctx context.Context, name, owner string) error
	// Heartbeat records that a replica is alive, with what it does.
	Heartbeat(ctx context.Context, r Replica) error
	// Replicas lists replicas seen within the given time, newest first.
	Replicas(ctx context.Context, within time.Duration) ([]Replica, error)

	// Lifetime: retention and erasure of customer data (lifetime.go).
	Lifetime
	// Lifecycle: claims, closes and reopens (lifecycle.go).
	Lifecycle
	// Business: Telegram Business connections (business.go).
	Business
	// Reactions: reactions, deletes, the seen reaction, profile photos
	// (reactions.go).
	Reactions
	// Router: routes, menus and transfers (routing.go).
	Router

	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
