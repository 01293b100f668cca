package sdk

import (
	"encoding/json"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Kind is the type of a message.
type Kind string

// The message kinds. Their string values appear in JSON payloads and docs.
const (
	KindText        Kind = "text"
	KindPhoto       Kind = "photo"
	KindDocument    Kind = "document"
	KindAudio       Kind = "audio"
	KindVoice       Kind = "voice"
	KindVideo       Kind = "video"
	KindVideoNote   Kind = "video_note"
	KindAnimation   Kind = "animation"
	KindSticker     Kind = "sticker"
	KindLocation    Kind = "location"
	KindVenue       Kind = "venue"
	KindContact     Kind = "contact"
	KindPoll        Kind = "poll"
	KindUnsupported Kind = "unsupported"
	KindNotice      Kind = "notice"
)

// Conversation is one Telegram private chat as the host tracks it.
type Conversation struct {
	// ID is the host's stable conversation id.
	ID string
	// Number is a short sequential handle ("#42") for desks without threads.
	Number int64
	// TelegramChatID is the Telegram chat the conversation lives in.
	TelegramChatID int64
	// StartedAt is when the user first wrote.
	StartedAt time.Time
	// StartPayload is the deep-link payload of the /start that opened it.
	StartPayload string
	// Blocked is true when the user blocked the bot.
	Blocked bool
	// State is the lifecycle state: [StateOpen], [StateClaimed] or
	// [StateClosed] (empty from a host before lifecycles: read it as open).
	State ConversationState
	// ClaimedBy is the agent who claimed the conversation.
	ClaimedBy string
	// PreviousID and PreviousNumber name the same customer's previous
	// conversation, closed before this one started.
	PreviousID     string
	PreviousNumber int64
	// Bot is the name of the host's bot the conversation came through
	// ("default" for a one-bot host). Desks may show it in their header.
	Bot string
	// Business is set when the customer wrote to a Telegram Business
	// account connected to the bot rather than to the bot itself.
	Business *Business
}

// Business names the Telegram Business account a conversation belongs to.
type Business struct {
	// ConnectionID is the Telegram business connection the host answers
	// through.
	ConnectionID string
	// Account is the Business account's owner on Telegram.
	Account BusinessAccount
}

// BusinessAccount is the Telegram user who owns a Business account.
type BusinessAccount struct {
	ID int64
	// Username is without the leading "@"; empty when the account has none.
	Username string
	// Name is the account's first and last name.
	Name string
}

// ConversationState is where a conversation is in its lifecycle.
type ConversationState string

// Conversation states.
const (
	StateOpen    ConversationState = "open"
	StateClaimed ConversationState = "claimed"
	StateClosed  ConversationState = "closed"
)

// Contact is the Telegram user behind a conversation.
type Contact struct {
	TelegramUserID int64
	FirstName      string
	LastName       string
	// Username is without the leading "@"; empty when the user has none.
	Username string
	// LanguageCode is the user's client language, e.g. "en".
	LanguageCode string
	// PhotoURL is a signed host link to the profile photo, empty if none.
	PhotoURL string
}

// DisplayName is the contact's full name, falling back to the username and
// then the Telegram id, so a desk always has something to show.
func (c Contact) DisplayName() string {
	name := c.FirstName
	if c.LastName != "" {
		if name != "" {
			name += " "
		}
		name += c.LastName
	}
	if name == "" && c.Username != "" {
		name = "@" + c.Username
	}
	if name == "" {
		name = "Telegram user " + itoa(c.TelegramUserID)
	}
	return name
}

// Message is one thing the Telegram user sent, or a host [Notice].
type Message struct {
	// ID is stable across redeliveries: desks may deduplicate on it.
	ID   string
	Time time.Time
	Kind Kind
	// Text is the text or caption. For non-text kinds the host fills a
	// readable summary.
	Text string
	// Entities format Text; offsets count Unicode code points.
	Entities    []Entity
	Attachments []Attachment
	// EditOf is the id of the message this one edits, empty otherwise.
	EditOf        string
	Location      *Location
	SharedContact *SharedContact
	Poll          *Poll
	Forward       *Forward
	ReplyTo       *Quote
	// MediaGroupID groups the messages of one Telegram album.
	MediaGroupID string
	StickerEmoji string
	// Notice is set when Kind is KindNotice.
	Notice *Notice
	// TelegramMessageID is Telegram's own id of the message in its chat.
	TelegramMessageID int64
	// OutsideHours: the customer wrote outside the bot's business hours;
	// desks mark the message so.
	OutsideHours bool
}

// Entity marks a span of Message.Text. Offset and Length count runes.
type Entity struct {
	// Type is Telegram's entity type: "bold", "italic", "underline",
	// "strikethrough", "spoiler", "code", "pre", "text_link", "url",
	// "mention", "blockquote", ...
	Type     string
	Offset   int
	Length   int
	URL      string
	Language string
}

// Attachment is a file the user sent, described rather than embedded.
type Attachment struct {
	Name     string
	MIMEType string
	// Size in bytes, 0 when unknown.
	Size int64
	// URL is a signed, expiring host link that streams the file. Empty when
	// TooLarge.
	URL string
	// TooLarge means Telegram will not let a bot download the file (over
	// 20 MB): show an alert instead of a link.
	TooLarge bool
	// FileRef names the file for Host.OpenFile.
	FileRef string
	// Kind is "photo", "document", "audio", "voice", "video", "video_note",
	// "animation" or "sticker".
	Kind            string
	Width, Height   int
	DurationSeconds int
}

// Location is a point the user shared; Title and Address are set for a venue.
type Location struct {
	Latitude, Longitude float64
	Title, Address      string
	MapURL              string
}

// SharedContact is a phone contact card the user shared.
type SharedContact struct {
	FirstName, LastName, PhoneNumber string
	TelegramUserID                   int64
}

// Poll is a poll the user sent.
type Poll struct {
	Question string
	Options  []string
}

// Forward says where a forwarded message came from.
type Forward struct {
	From         string
	OriginalTime time.Time
}

// Quote is the earlier message a message answers.
type Quote struct {
	MessageID string
	Text      string
	// FromBot is true when the quoted message was an agent's answer.
	FromBot bool
}

// NoticeCode says what a [Notice] is about; act on it by code, show its
// Text. New codes may appear in protocol v1: treat an unknown one as
// informational.
type NoticeCode string

// Notice codes.
const (
	// NoticeUserBlocked: the user blocked the bot; replies cannot reach them.
	NoticeUserBlocked NoticeCode = "user_blocked"
	// NoticeDeliveryFailed: a message could not be delivered to this desk.
	NoticeDeliveryFailed NoticeCode = "delivery_failed"
	// NoticeFileTooLarge: a file was over Telegram's download limit.
	NoticeFileTooLarge NoticeCode = "file_too_large"
	// NoticeReplyFailed: an agent's reply could not be sent to Telegram
	// (Notice.ReplyExternalID).
	NoticeReplyFailed NoticeCode = "reply_failed"
	// NoticeAttachmentFailed: a reply's attachment could not be sent.
	NoticeAttachmentFailed NoticeCode = "attachment_failed"
	// NoticeDataErased says the customer's data was deleted from Parley at
	// the operator's request ("parley forget"); desks keep their own copies.
	NoticeDataErased NoticeCode = "data_erased"
	// NoticeConversationClaimed: an agent claimed the conversation
	// (Notice.Agent).
	NoticeConversationClaimed NoticeCode = "conversation_claimed"
	// NoticeConversationUnclaimed: the claim was given back; state is open.
	NoticeConversationUnclaimed NoticeCode = "conversation_unclaimed"
	// NoticeConversationClosed: the conversation was closed (Notice.Agent,
	// Notice.Reason).
	NoticeConversationClosed NoticeCode = "conversation_closed"
	// NoticeConversationReopened: a closed conversation is open again.
	NoticeConversationReopened NoticeCode = "conversation_reopened"
	// NoticeActionIgnored: an agent's action changed nothing (claiming a
	// closed conversation, closing a closed one); the text says why.
	NoticeActionIgnored NoticeCode = "action_ignored"
	// NoticeRating: the customer rated the conversation (Notice.Score of
	// Notice.Scale).
	NoticeRating NoticeCode = "rating"
	// NoticeReaction: the customer set (or, with Notice.Removed, took back)
	// Notice.Emoji on an agent's reply (Notice.ReplyExternalID) or on one of
	// their own messages (Notice.MessageID).
	NoticeReaction NoticeCode = "reaction"
	// NoticeReactionFailed: an agent's reaction could not be set in
	// Telegram; the text says why.
	NoticeReactionFailed NoticeCode = "reaction_failed"
	// NoticeMessageDeleted: the customer deleted one of their messages
	// (Notice.MessageID; the text quotes its first words).
	NoticeMessageDeleted NoticeCode = "message_deleted"
	// NoticeDeleteFailed: an agent's reply could not be deleted in
	// Telegram (Notice.ReplyExternalID), e.g. older than 48 hours.
	NoticeDeleteFailed NoticeCode = "delete_failed"
	// NoticeOwnerMessage: the owner of the Business account wrote in the
	// chat from the Telegram app (Notice.Agent is the owner's name; the
	// text quotes the message).
	NoticeOwnerMessage NoticeCode = "owner_message"
	// NoticeTransfer: the conversation moved to Notice.Channels.
	NoticeTransfer NoticeCode = "transfer"
	// NoticeBusinessConnection: the Business connection the conversation
	// answers through was disabled or lost a right; the text says which.
	NoticeBusinessConnection NoticeCode = "business_connection"
)

// Lifecycle reports whether c is about a conversation's lifecycle: a
// claim, unclaim, close or reopen, an ignored action, or a rating. Desks
// with Capabilities.Lifecycle show these their own way.
func (c NoticeCode) Lifecycle() bool {
	switch c {
	case NoticeConversationClaimed, NoticeConversationUnclaimed, NoticeConversationClosed,
		NoticeConversationReopened, NoticeActionIgnored, NoticeRating:
		return true
	}
	return false
}

// Reasons a conversation was closed (Notice.Reason).
const (
	CloseByAgent    = "agent"
	CloseByIdle     = "idle"
	CloseByOperator = "operator"
	CloseByCustomer = "customer"
)

// Notice is a host-made message for the desk, such as "the user blocked the
// bot" or "this reply could not be sent".
type Notice struct {
	Code NoticeCode
	// Text is a human sentence, complete without the other fields.
	Text string
	// ReplyExternalID is the desk id of the reply the notice is about.
	ReplyExternalID string
	// Agent is who claimed, closed or reopened.
	Agent string
	// Reason is why a conversation closed: CloseBy*.
	Reason string
	// Score of Scale is a rating.
	Score int
	Scale int
	// SourceChannel and ActionExternalID name the desk action that caused
	// the notice, so the desk that acted recognises its own echo. Empty
	// when the host, an operator or the customer made the change.
	SourceChannel    string
	ActionExternalID string
	// State is the conversation's state after the change.
	State ConversationState
	// Emoji and Removed describe a reaction notice.
	Emoji   string
	Removed bool
	// MessageID is the host id of the customer's message the notice is
	// about (a reaction on it, its deletion).
	MessageID string
	// Channels are where a transferred conversation went.
	Channels []string
}

// ActionKind is what an agent did to a conversation.
type ActionKind string

// Action kinds.
const (
	ActionClaim   ActionKind = "claim"
	ActionUnclaim ActionKind = "unclaim"
	ActionClose   ActionKind = "close"
	ActionReopen  ActionKind = "reopen"
	// ActionReact sets the bot's reaction (Action.Emoji; empty removes it)
	// on a customer's message, named by Action.MessageID or
	// Action.DeskMessageID.
	ActionReact ActionKind = "react"
	// ActionDelete deletes an agent's reply (Action.ReplyExternalID) in
	// Telegram, while Telegram allows it (48 hours).
	ActionDelete ActionKind = "delete"
	// ActionTyping shows "typing…" to the customer for a few seconds.
	ActionTyping ActionKind = "typing"
	// ActionTransfer moves the conversation to Action.Channels.
	ActionTransfer ActionKind = "transfer"
)

// Action is an agent's change to a conversation's lifecycle, reported by a
// desk through [WebhookResponse.Actions] or [Host.PostAction]. The host
// applies it once per (channel, ExternalID) and tells every channel the
// conversation is in with a notice, the acting desk included.
type Action struct {
	Kind ActionKind
	// ThreadRef or ConversationID names the conversation, as for a Reply.
	ThreadRef      []byte
	ConversationID string
	// ExternalID is the desk's id of the action, for idempotency.
	ExternalID string
	// Agent is the agent's display name; empty reads "an agent".
	Agent string
	// MessageID (the host's Message.ID) or DeskMessageID (the id Deliver
	// returned for it) names the customer's message an ActionReact is on.
	MessageID     string
	DeskMessageID string
	// Emoji is an ActionReact's emoji; empty removes the reaction.
	Emoji string
	// ReplyExternalID is the agent reply an ActionDelete deletes.
	ReplyExternalID string
	// Channels take over the conversation on ActionTransfer.
	Channels []string
}

// ActionResult is what the host answers to [Host.PostAction].
type ActionResult struct {
	// Duplicate: the action had been applied before.
	Duplicate      bool
	ConversationID string
	// State is the conversation's state after the action.
	State ConversationState
	// Changed is false when the action changed nothing.
	Changed bool
}

// TextFormat says how Reply.Text is marked up.
type TextFormat int

// Reply text formats.
const (
	// FormatPlain text is sent as is.
	FormatPlain TextFormat = iota
	// FormatTelegramHTML is Telegram's HTML subset; build it with the
	// helpers in package sdk/format.
	FormatTelegramHTML
)

// Reply is an agent's answer bound for the Telegram user.
type Reply struct {
	// ThreadRef is the thread the agent answered in, as returned by Deliver.
	ThreadRef []byte
	// ConversationID may be set instead of ThreadRef.
	ConversationID string
	// ExternalID is the desk's id of the reply; the host stores a reply once
	// per (channel, ExternalID).
	ExternalID  string
	Author      string
	Text        string
	Format      TextFormat
	Attachments []ReplyAttachment
	// EditOf is the ExternalID of the reply this one edits.
	EditOf string
}

// ReplyAttachment is a file an agent attached. The host fetches its bytes
// through [AttachmentOpener] when it sends the reply.
type ReplyAttachment struct {
	Ref      string
	Name     string
	MIMEType string
	Size     int64
}

// Capabilities announce optional behaviour.
type Capabilities struct {
	Threads          bool
	FileUpload       bool
	Webhooks         bool
	Edits            bool
	OwnConnection    bool
	ReplyAttachments bool
	// Lifecycle: the plugin acts on lifecycle notices by code and reports
	// agents' actions.
	Lifecycle bool
	// Reactions: the plugin shows reaction notices its own way and may
	// report agents' reactions (ActionReact).
	Reactions bool
	// Formatting is the desk's markup dialect, one of the Formatting*
	// constants.
	Formatting Formatting
}

// Formatting names a desk's markup dialect, so the host and tools know how
// the desk shows text.
type Formatting string

// Markup dialects.
const (
	FormattingSlackMrkdwn Formatting = "slack_mrkdwn"
	FormattingHTML        Formatting = "html"
	FormattingMarkdown    Formatting = "markdown"
	FormattingPlain       Formatting = "plain"
)

// ConfigKey documents one key of a channel's config table.
type ConfigKey struct {
	Name        string
	Description string
	Required    bool
	Secret      bool
	Default     string
}

// DescribeResponse is what [Channel.Describe] returns.
type DescribeResponse struct {
	Name         string
	Version      string
	Description  string
	Capabilities Capabilities
	ConfigKeys   []ConfigKey
}

// ConfigureRequest carries a channel's own config table.
type ConfigureRequest struct {
	// ChannelName is the operator's name for the channel.
	ChannelName string
	// Config is the channel's config table as JSON; decode and check it
	// against the declared keys with package sdk/config, or decode it
	// as is with [ConfigureRequest.Decode].
	Config json.RawMessage
	// HookBaseURL is the public URL of the channel's webhook path, empty
	// when the host has no public URL.
	HookBaseURL string
	// Host calls back into the host. It is nil in Describe-only runs.
	Host Host
	// Logger writes to the plugin's stderr, which the host shows under the
	// channel's name.
	Logger hclog.Logger
}

// Decode unmarshals the config table into v.
func (r ConfigureRequest) Decode(v any) error {
	if len(r.Config) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	return json.Unmarshal(r.Config, v)
}

// ConfigError is one problem with one key of a config table.
type ConfigError struct {
	Key     string
	Message string
}

func (e ConfigError) Error() string {
	if e.Key == "" {
		return e.Message
	}
	return e.Key + ": " + e.Message
}

// ConfigureResponse lists every problem found; empty means configured.
type ConfigureResponse struct {
	Errors []ConfigError
}

// DeliverRequest is one message to post to the desk.
type DeliverRequest struct {
	Conversation Conversation
	Contact      Contact
	Message      Message
	// ThreadRef is empty on the first delivery of the conversation.
	ThreadRef []byte
	// EditOfDeskMessageID is the desk id of the original when Message is an
	// edit.
	EditOfDeskMessageID string
	// PreviousThreadRef is, on the first delivery of a conversation that
	// follows a closed one, that one's thread reference in this channel.
	PreviousThreadRef []byte
}

// DeliverResponse is what the desk made of a delivery.
type DeliverResponse struct {
	// ThreadRef is stored and handed back on the next delivery.
	ThreadRef     []byte
	DeskMessageID string
}

// WebhookRequest is a raw HTTP request the desk sent to /hooks/<channel>.
type WebhookRequest struct {
	Method string
	// Path is below /hooks/<channel>, "/" when empty.
	Path       string
	RawQuery   string
	Header     map[string][]string
	Body       []byte
	RemoteAddr string
}

// HeaderValue returns the first value of a header, matched case-insensitively.
func (r WebhookRequest) HeaderValue(name string) string {
	return headerGet(r.Header, name)
}

// WebhookResponse is the HTTP answer plus the replies found in the request.
type WebhookResponse struct {
	Status  int
	Header  map[string][]string
	Body    []byte
	Replies []Reply
	// Actions are agents' lifecycle actions; the host applies them after
	// the replies, before answering the desk.
	Actions []Action
}

// PostReplyResult is what the host answers to [Host.PostReply].
type PostReplyResult struct {
	Duplicate      bool
	ConversationID string
}

// FileInfo describes a streamed file.
type FileInfo struct {
	Name     string
	MIMEType string
	Size     int64
}
