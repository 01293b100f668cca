package normalize

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// MaxDownloadSize is the largest file a bot may fetch from Telegram (20 MB).
// Bigger files are flagged [sdk.Attachment.TooLarge].
const MaxDownloadSize = 20 * 1024 * 1024

// Kind says what the host should do with an update.
type Kind int

// Update kinds. The zero value is not a valid kind, so a forgotten field is
// never mistaken for a conversation.
const (
	// Private is a message in a private chat: a support conversation.
	Private Kind = iota + 1
	// Ignored is anything else (groups, channels, non-message updates);
	// Result.Reason says why, for one log line.
	Ignored
	// Tap is a tap on an inline button of one of the bot's messages in a
	// private chat (a callback_query): Result.Tap says which.
	Tap
	// Connection is a Telegram Business connection made, changed or
	// removed (a business_connection update): Result.Connection.
	Connection
	// Deleted is messages deleted in a Business chat
	// (deleted_business_messages): Result.Deleted.
	Deleted
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case Private:
		return "private"
	case Ignored:
		return "ignored"
	case Tap:
		return "tap"
	case Connection:
		return "business_connection"
	case Deleted:
		return "deleted"
	default:
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Options carry what normalising needs to know about the bot itself.
type Options struct {
	// BotUsername is the bot's username without "@". When set, a
	// "/start@OtherBot" is ordinary text; when empty any addressee counts.
	BotUsername string
	// BotID is the bot's user id. When set, a reply is marked FromBot only
	// if it answers this bot; otherwise any bot author counts.
	BotID int64
}

// StartCommand is a "/start" the user sent, with its deep-link payload.
type StartCommand struct {
	// Payload is the deep-link payload ("" for a bare /start).
	Payload string
}

// Result is one normalised update.
type Result struct {
	Kind Kind
	// Reason says why an update was ignored (one log line); empty otherwise.
	Reason string
	// ChatID is the Telegram chat, 0 when the update has none.
	ChatID int64
	// Contact is the user who wrote.
	Contact sdk.Contact
	// Time is when the user sent (or edited) the message.
	Time time.Time
	// Start is set when the user sent /start; Message is then nil unless
	// the text after /start was not a deep-link payload (see [Update]).
	Start *StartCommand
	// Message is what to deliver to the desks; nil when there is nothing
	// to deliver (a bare /start, an ignored update).
	Message *sdk.Message
	// New is set when the user sent /new: close the current conversation,
	// so the next message starts a new one. A bare /new is not relayed
	// (Message is nil); words after it are, as typed, and start the new
	// conversation at once.
	New bool
	// Tap is set when Kind is Tap.
	Tap *ButtonTap
	// BusinessConnectionID is the Telegram Business connection of a
	// Business chat's update; "" for the bot's own chats. With ChatID it
	// names the conversation.
	BusinessConnectionID string
	// Connection is set when Kind is Connection.
	Connection *BusinessConnection
	// Deleted is set when Kind is Deleted.
	Deleted *BusinessDeleted
}

// ButtonTap is a user's tap on an inline button of the bot's message.
type ButtonTap struct {
	// QueryID is the callback query to answer (answerCallbackQuery).
	QueryID string
	// Data is the button's callback_data, unverified.
	Data string
	// MessageID is the bot's message carrying the button.
	MessageID int64
	// UserID is who tapped.
	UserID int64
}

// Update normalises one decoded update.
//
// A "/start" or "/start <payload>" (also "/start@Bot payload") sets Start and
// leaves Message nil, so it is never relayed as text. When the words after
// /start cannot be a deep-link payload (at most 64 characters of A-Z, a-z,
// 0-9, "_" and "-"), the user typed them: Start is set with an empty payload
// and the text is delivered too, so nothing the user wrote is lost.
func Update(u telego.Update, opts Options) (Result, error) {
	return UpdateRaw(u, nil, opts)
}

// UpdateRaw is Update with the update as Telegram sent it, when known:
// a business_connection's can_reply of Bot API servers before 9.0 is
// only in the JSON.
func UpdateRaw(u telego.Update, raw json.RawMessage, opts Options) (Result, error) {
	switch {
	case u.Message != nil:
		return message(u.Message, false, opts)
	case u.EditedMessage != nil:
		return message(u.EditedMessage, true, opts)
	case u.ChannelPost != nil:
		return ignored(u.ChannelPost.Chat.ID, "post in channel "+chatName(u.ChannelPost.Chat)), nil
	case u.EditedChannelPost != nil:
		return ignored(u.EditedChannelPost.Chat.ID, "edited post in channel "+chatName(u.EditedChannelPost.Chat)), nil
	case u.BusinessConnection != nil:
		return businessConnection(u, raw)
	case u.BusinessMessage != nil:
		return businessMessage(u.BusinessMessage, false, opts)
	case u.EditedBusinessMessage != nil:
		return businessMessage(u.EditedBusinessMessage, true, opts)
	case u.DeletedBusinessMessages != nil:
		return businessDeleted(u.DeletedBusinessMessages)
	case u.CallbackQuery != nil:
		return callback(u.CallbackQuery), nil
	case u.MyChatMember != nil:
		return ignored(u.MyChatMember.Chat.ID, "bot membership change"), nil
	case u.ChatMember != nil:
		return ignored(u.ChatMember.Chat.ID, "chat member change"), nil
	default:
		return ignored(0, "update without a message"), nil
	}
}

func ignored(chatID int64, reason string) Result {
	return Result{Kind: Ignored, Reason: reason, ChatID: chatID}
}

// message normalises a new or edited message.
func message(m *telego.Message, edited bool, opts Options) (Result, error) {
	if m.Chat.ID == 0 {
		return Result{}, fmt.Errorf("message %d has no chat id", m.MessageID)
	}
	if m.Chat.Type != telego.ChatTypePrivate {
		return ignored(m.Chat.ID, fmt.Sprintf("message in %s chat %s", m.Chat.Type, chatName(m.Chat))), nil
	}
	res := Result{
		Kind:    Private,
		ChatID:  m.Chat.ID,
		Contact: contactOf(m),
		Time:    time.Unix(m.Date, 0).UTC(),
	}
	if edited && m.EditDate != 0 {
		res.Time = time.Unix(m.EditDate, 0).UTC()
	}

	if payload, ok := startCommand(m.Text, opts.BotUsername); ok {
		if edited {
			// Editing an old /start changes nothing the host keeps: the
			// conversation was opened already and the command was never relayed.
			return res, nil
		}
		if validPayload(payload) {
			res.Start = &StartCommand{Payload: payload}
			return res, nil
		}
		res.Start = &StartCommand{}
	}

	if rest, ok := command(m.Text, "/new", opts.BotUsername); ok {
		if edited {
			return res, nil // the conversation was closed already
		}
		res.New = true
		if rest == "" {
			return res, nil
		}
	}

	msg := convert(m, opts)
	msg.Time = res.Time
	if edited {
		msg.EditOf = msg.ID
		msg.ID = EditID(m.Chat.ID, int64(m.MessageID), m.EditDate)
	}
	res.Message = &msg
	return res, nil
}

// callback normalises a tap on an inline button. Only taps on the bot's
// messages in private chats are taps; the rest (inline-mode messages, games,
// groups) are ignored, still to be answered by the caller if it likes.
func callback(q *telego.CallbackQuery) Result {
	if q.Message == nil || q.InlineMessageID != "" {
		return ignored(0, "callback query on no message of a chat")
	}
	chat := q.Message.GetChat()
	if chat.Type != telego.ChatTypePrivate {
		return ignored(chat.ID, fmt.Sprintf("callback query in %s chat %s", chat.Type, chatName(chat)))
	}
	return Result{Kind: Tap, ChatID: chat.ID, Tap: &ButtonTap{
		QueryID: q.ID, Data: q.Data, MessageID: int64(q.Message.GetMessageID()), UserID: q.From.ID,
	}}
}

// MessageID is the stable Parley id of a Telegram message.
func MessageID(chatID, messageID int64) string {
	return "tg:" + strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(messageID, 10)
}

// EditID is the stable Parley id of one edit of a Telegram message; editDate
// is Telegram's edit_date, so each edit is its own message.
func EditID(chatID, messageID, editDate int64) string {
	return MessageID(chatID, messageID) + ":edit:" + strconv.FormatInt(editDate, 10)
}

// contactOf describes the sender; a private chat carries the same names
// when from is missing.
func contactOf(m *telego.Message) sdk.Contact {
	if u := m.From; u != nil {
		return sdk.Contact{
			TelegramUserID: u.ID,
			FirstName:      u.FirstName,
			LastName:       u.LastName,
			Username:       u.Username,
			LanguageCode:   u.LanguageCode,
		}
	}
	return sdk.Contact{
		TelegramUserID: m.Chat.ID,
		FirstName:      m.Chat.FirstName,
		LastName:       m.Chat.LastName,
		Username:       m.Chat.Username,
	}
}

func chatName(c telego.Chat) string {
	switch {
	case c.Title != "":
		return strconv.Quote(c.Title)
	case c.Username != "":
		return "@" + c.Username
	default:
		return strconv.FormatInt(c.ID, 10)
	}
}
