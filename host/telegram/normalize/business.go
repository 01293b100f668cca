package normalize

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// Telegram Business: the owner of a Business account connects the bot,
// which then receives the account's private chats as business_message,
// edited_business_message and deleted_business_messages updates, and the
// connection's changes as business_connection updates. A Business chat
// is not the customer's chat with the bot: it has its own message ids,
// so its messages get ids of their own (BusinessMessageID).

// BusinessConnection is a business_connection update, or the answer to
// getBusinessConnection.
type BusinessConnection struct {
	telego.BusinessConnection
	// CanReply is the connection's right to reply: rights.can_reply, or
	// the top-level can_reply of Bot API servers before 9.0 (which have
	// no rights object).
	CanReply bool
}

// BusinessDeleted is a deleted_business_messages update: messages of a
// Business chat the customer (or the owner) deleted.
type BusinessDeleted struct {
	ConnectionID string
	ChatID       int64
	// MessageIDs are the Parley ids of the deleted messages.
	MessageIDs []string
}

// BusinessMessageID is the stable Parley id of a message in a Business
// chat of connection conn.
func BusinessMessageID(conn string, chatID, messageID int64) string {
	return "tgb:" + conn + ":" + strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(messageID, 10)
}

// businessEditID is the id of one edit of a Business message.
func businessEditID(conn string, chatID, messageID, editDate int64) string {
	return BusinessMessageID(conn, chatID, messageID) + ":edit:" + strconv.FormatInt(editDate, 10)
}

// ConnectionOf reads a business_connection object as Telegram sent it,
// with the legacy can_reply when rights are missing.
func ConnectionOf(raw json.RawMessage) (BusinessConnection, error) {
	var c struct {
		telego.BusinessConnection
		CanReply *bool `json:"can_reply"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return BusinessConnection{}, fmt.Errorf("business connection: %w", err)
	}
	if c.ID == "" {
		return BusinessConnection{}, fmt.Errorf("business connection without an id")
	}
	out := BusinessConnection{BusinessConnection: c.BusinessConnection}
	switch {
	case c.Rights != nil:
		out.CanReply = c.Rights.CanReply
	case c.CanReply != nil:
		out.CanReply = *c.CanReply
	}
	return out, nil
}

// Rights lists the rights granted, by Bot API name.
func (c BusinessConnection) Rights() []string {
	out := []string{}
	if c.CanReply {
		out = append(out, "can_reply")
	}
	r := c.BusinessConnection.Rights
	if r == nil {
		return out
	}
	for _, x := range []struct {
		ok   bool
		name string
	}{
		{r.CanReadMessages, "can_read_messages"},
		{r.CanDeleteSentMessages, "can_delete_sent_messages"},
		{r.CanDeleteAllMessages, "can_delete_all_messages"},
		{r.CanEditName, "can_edit_name"},
		{r.CanEditBio, "can_edit_bio"},
		{r.CanEditProfilePhoto, "can_edit_profile_photo"},
		{r.CanEditUsername, "can_edit_username"},
		{r.CanChangeGiftSettings, "can_change_gift_settings"},
		{r.CanViewGiftsAndStars, "can_view_gifts_and_stars"},
		{r.CanConvertGiftsToStars, "can_convert_gifts_to_stars"},
		{r.CanTransferAndUpgradeGifts, "can_transfer_and_upgrade_gifts"},
		{r.CanTransferStars, "can_transfer_stars"},
		{r.CanManageStories, "can_manage_stories"},
	} {
		if x.ok {
			out = append(out, x.name)
		}
	}
	return out
}

// businessConnection normalises a business_connection update; raw is the
// whole update, read again for the legacy can_reply telego drops.
func businessConnection(u telego.Update, raw json.RawMessage) (Result, error) {
	var fields struct {
		Conn json.RawMessage `json:"business_connection"`
	}
	c := BusinessConnection{BusinessConnection: *u.BusinessConnection}
	if u.BusinessConnection.Rights != nil {
		c.CanReply = u.BusinessConnection.Rights.CanReply
	}
	if raw != nil && json.Unmarshal(raw, &fields) == nil && fields.Conn != nil {
		parsed, err := ConnectionOf(fields.Conn)
		if err != nil {
			return Result{}, err
		}
		c = parsed
	}
	if c.ID == "" {
		return Result{}, fmt.Errorf("business connection without an id")
	}
	return Result{Kind: Connection, Connection: &c, Time: time.Unix(c.Date, 0).UTC()}, nil
}

// businessMessage normalises a new or edited message in a Business chat.
// The customer's messages are a conversation's messages; the owner's,
// written from the Telegram app, reach the desk as owner_message notices;
// the bot's own (sent through the connection) are echoes, ignored.
func businessMessage(m *telego.Message, edited bool, opts Options) (Result, error) {
	conn := m.BusinessConnectionID
	if conn == "" {
		return Result{}, fmt.Errorf("business message %d has no business_connection_id", m.MessageID)
	}
	if m.Chat.ID == 0 {
		return Result{}, fmt.Errorf("business message %d has no chat id", m.MessageID)
	}
	if m.Chat.Type != telego.ChatTypePrivate {
		return ignored(m.Chat.ID, fmt.Sprintf("business message in %s chat %s", m.Chat.Type, chatName(m.Chat))), nil
	}
	if m.SenderBusinessBot != nil {
		return ignored(m.Chat.ID, "business message the bot sent"), nil
	}
	res := Result{
		Kind:                 Private,
		ChatID:               m.Chat.ID,
		BusinessConnectionID: conn,
		Contact:              chatContact(m.Chat),
		Time:                 time.Unix(m.Date, 0).UTC(),
	}
	if edited && m.EditDate != 0 {
		res.Time = time.Unix(m.EditDate, 0).UTC()
	}
	owner := m.From != nil && m.From.ID != m.Chat.ID
	if !owner {
		res.Contact = contactOf(m)
	}
	msg := convert(m, opts)
	msg.ID = BusinessMessageID(conn, m.Chat.ID, int64(m.MessageID))
	if msg.ReplyTo != nil && m.ReplyToMessage != nil {
		msg.ReplyTo.MessageID = BusinessMessageID(conn, m.Chat.ID, int64(m.ReplyToMessage.MessageID))
	}
	msg.Time = res.Time
	if edited {
		msg.EditOf = msg.ID
		msg.ID = businessEditID(conn, m.Chat.ID, int64(m.MessageID), m.EditDate)
	}
	if owner {
		msg = ownerNotice(msg, *m.From, edited)
	}
	res.Message = &msg
	return res, nil
}

// ownerNotice turns the owner's own message into the notice the desk
// shows: agents see the whole conversation, and it is not the customer's.
func ownerNotice(msg sdk.Message, from telego.User, edited bool) sdk.Message {
	name := strings.TrimSpace(from.FirstName + " " + from.LastName)
	if name == "" && from.Username != "" {
		name = "@" + from.Username
	}
	if name == "" {
		name = "The account's owner"
	}
	verb := "replied"
	if edited {
		verb = "edited a reply"
	}
	return sdk.Message{
		ID: msg.ID, Time: msg.Time, Kind: sdk.KindNotice, TelegramMessageID: msg.TelegramMessageID,
		Text: name + " " + verb + " from the Telegram app: " + msg.Text,
		Notice: &sdk.Notice{
			Code: sdk.NoticeOwnerMessage, Agent: name,
			Text: name + " " + verb + " from the Telegram app: " + msg.Text,
		},
	}
}

// businessDeleted normalises a deleted_business_messages update.
func businessDeleted(d *telego.BusinessMessagesDeleted) (Result, error) {
	if d.BusinessConnectionID == "" || d.Chat.ID == 0 {
		return Result{}, fmt.Errorf("deleted business messages without a connection or chat")
	}
	if d.Chat.Type != "" && d.Chat.Type != telego.ChatTypePrivate {
		return ignored(d.Chat.ID, "deleted business messages in a "+d.Chat.Type+" chat"), nil
	}
	del := &BusinessDeleted{ConnectionID: d.BusinessConnectionID, ChatID: d.Chat.ID}
	for _, id := range d.MessageIDs {
		del.MessageIDs = append(del.MessageIDs, BusinessMessageID(d.BusinessConnectionID, d.Chat.ID, int64(id)))
	}
	return Result{
		Kind: Deleted, ChatID: d.Chat.ID, BusinessConnectionID: d.BusinessConnectionID,
		Contact: chatContact(d.Chat), Deleted: del,
	}, nil
}

// chatContact describes a private chat's other party from the chat alone.
func chatContact(c telego.Chat) sdk.Contact {
	return sdk.Contact{TelegramUserID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Username: c.Username}
}

// DeletedNotice is the notice a deleted Business message becomes; text
// is the message's text as stored ("" when Parley no longer has it).
func DeletedNotice(messageID, text string, at time.Time) sdk.Message {
	sentence := "The customer deleted a message."
	if words := firstWords(text, 12); words != "" {
		sentence = "The customer deleted a message: " + words
	}
	return sdk.Message{
		ID: messageID + ":deleted", Time: at, Kind: sdk.KindNotice, Text: sentence,
		Notice: &sdk.Notice{Code: sdk.NoticeMessageDeleted, MessageID: messageID, Text: sentence},
	}
}

// firstWords is up to n words of s, with "…" when cut.
func firstWords(s string, n int) string {
	words := strings.Fields(s)
	if len(words) <= n {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:n], " ") + " …"
}
