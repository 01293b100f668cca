package telegramtest

import (
	"strings"
	"unicode/utf16"

	"github.com/mymmrac/telego"
)

// NewMessage returns a message from user fromID in chat chatID with the chat's next message_id and
// the current date, for a test to fill in and push with PushMessage. The user must have been added
// with AddUser and the chat must exist (a user's private chat has the user's ID).
func (s *Bot) NewMessage(chatID, fromID int64) telego.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.state.chats[chatID]
	if c == nil {
		panic("telegramtest: NewMessage for an unknown chat; AddUser or AddGroup first")
	}
	u, ok := s.state.users[fromID]
	if !ok {
		panic("telegramtest: NewMessage from an unknown user; AddUser first")
	}
	c.nextMsg++
	return telego.Message{MessageID: c.nextMsg, From: &u, Chat: c.info, Date: s.opts.Now().Unix()}
}

// PushMessage queues m as a "message" update and returns its update_id.
func (s *Bot) PushMessage(m telego.Message) int64 {
	return s.MustPushUpdate(telego.Update{Message: &m})
}

// PushEdit queues m as an "edited_message" update (set m.EditDate) and returns its update_id.
func (s *Bot) PushEdit(m telego.Message) int64 {
	if m.EditDate == 0 {
		m.EditDate = s.opts.Now().Unix()
	}
	return s.MustPushUpdate(telego.Update{EditedMessage: &m})
}

// SendText makes user userID (added with AddUser) write text to the bot in their private chat and
// returns the message. Without entities, a leading "/command" gets its bot_command entity as
// Telegram adds it (so "/start ref_42" is a deep link).
func (s *Bot) SendText(userID int64, text string, entities ...telego.MessageEntity) telego.Message {
	return s.SendTextIn(userID, userID, text, entities...)
}

// SendTextIn is SendText in any chat, such as a group added with AddGroup.
func (s *Bot) SendTextIn(chatID, userID int64, text string, entities ...telego.MessageEntity) telego.Message {
	m := s.NewMessage(chatID, userID)
	m.Text = text
	m.Entities = entities
	if len(entities) == 0 && strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		cmd, _, _ = strings.Cut(cmd, "\n")
		m.Entities = []telego.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(utf16.Encode([]rune(cmd)))}}
	}
	s.PushMessage(m)
	return m
}

// SendDocument makes user userID send data as a document in their private chat and returns the
// message; the file can be fetched with getFile.
func (s *Bot) SendDocument(userID int64, data []byte, name, mimeType, caption string) telego.Message {
	id, unique := s.srv.AddFile(data, name, mimeType)
	m := s.NewMessage(userID, userID)
	m.Document = &telego.Document{FileID: id, FileUniqueID: unique, FileName: name, MimeType: mimeType, FileSize: int64(len(data))}
	m.Caption = caption
	s.PushMessage(m)
	return m
}

// SendPhoto makes user userID send a picture (as the several sizes Telegram makes, smallest first)
// in their private chat and returns the message.
func (s *Bot) SendPhoto(userID int64, data []byte, caption string) telego.Message {
	f := s.srv.addFile("photos", "", "image/jpeg", data, int64(len(data)))
	s.mu.Lock()
	sizes := s.photoSizesLocked(f)
	s.mu.Unlock()
	m := s.NewMessage(userID, userID)
	m.Photo = sizes
	m.Caption = caption
	s.PushMessage(m)
	return m
}
