package telegramtest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mymmrac/telego"
)

// Sent is one message the bot sent or edited, as the fake received it.
type Sent struct {
	// Method is the Bot API method in its documented spelling ("sendMessage", "sendDocument",
	// "editMessageText", ...).
	Method    string
	ChatID    int64
	MessageID int
	// Text is the text parameter as sent (markup included); Message.Text holds the parsed text.
	Text      string
	ParseMode string
	Entities  json.RawMessage
	// Caption is the caption parameter as sent.
	Caption     string
	ReplyMarkup json.RawMessage
	// ReplyTo is reply_parameters.message_id, 0 if none.
	ReplyTo int
	// BusinessConnectionID is the business_connection_id the message was sent with ("" for the
	// bot's own chats).
	BusinessConnectionID string
	// MessageThreadID is the forum topic the message went to, 0 if none.
	MessageThreadID int
	// Files are the uploaded file parts, in no particular order.
	Files []SentFile
	// Params are all parameters as text (objects as JSON).
	Params map[string]string
	// Message is what the fake answered.
	Message telego.Message
	At      time.Time
}

// SentFile is one uploaded file.
type SentFile struct {
	// Field is the multipart field (photo, document, ...).
	Field string
	// Name is the part's file name.
	Name string
	// ContentType is the part's Content-Type header (telego always sends application/octet-stream).
	ContentType string
	// MIMEType is what Telegram would record: from the name's extension, else sniffed.
	MIMEType string
	Data     []byte
	FileID   string
}

// ChatAction is one sendChatAction call.
type ChatAction struct {
	ChatID               int64
	Action               string
	BusinessConnectionID string
	MessageThreadID      int
	// At is when the call arrived, by the fake's clock (the action shows for 5 seconds or until
	// the bot's next message).
	At time.Time
}

func (s *Bot) recordLocked(m Sent) {
	s.state.sent = append(s.state.sent, m)
	close(s.state.sentWake)
	s.state.sentWake = make(chan struct{})
}

// Sent returns every message the bot sent or edited, in order.
func (s *Bot) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.state.sent...)
}

// SentTo returns the messages the bot sent or edited in one chat, in order.
func (s *Bot) SentTo(chatID int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.state.sent {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until the bot has sent at least n messages in all, and returns them all; after
// timeout it returns what there is and an error saying how many were missing.
func (s *Bot) WaitSent(n int, timeout time.Duration) ([]Sent, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.state.sent) >= n {
			out := append([]Sent(nil), s.state.sent...)
			s.mu.Unlock()
			return out, nil
		}
		wake := s.state.sentWake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			got := s.Sent()
			return got, fmt.Errorf("telegramtest: %d messages sent after %s, want %d", len(got), timeout, n)
		case <-s.closed:
			return s.Sent(), errClosed
		}
	}
}

// ChatActions returns the sendChatAction calls made for chatID (any chat if 0).
func (s *Bot) ChatActions(chatID int64) []ChatAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChatAction
	for _, a := range s.state.actions {
		if chatID == 0 || a.ChatID == chatID {
			out = append(out, a)
		}
	}
	return out
}
