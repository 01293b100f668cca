package telegramtest

import (
	"time"

	"github.com/mymmrac/telego"
)

// The test-side methods of Server act on the first bot (the one of Options); the same methods on
// a Bot act on that bot. Their documentation is on Bot.

// NewMessage is Bot.NewMessage for the first bot.
func (s *Server) NewMessage(chatID, fromID int64) telego.Message {
	return s.first().NewMessage(chatID, fromID)
}

// PushMessage is Bot.PushMessage for the first bot.
func (s *Server) PushMessage(m telego.Message) int64 { return s.first().PushMessage(m) }

// PushEdit is Bot.PushEdit for the first bot.
func (s *Server) PushEdit(m telego.Message) int64 { return s.first().PushEdit(m) }

// SendText is Bot.SendText for the first bot.
func (s *Server) SendText(userID int64, text string, entities ...telego.MessageEntity) telego.Message {
	return s.first().SendText(userID, text, entities...)
}

// SendTextIn is Bot.SendTextIn for the first bot.
func (s *Server) SendTextIn(chatID, userID int64, text string, entities ...telego.MessageEntity) telego.Message {
	return s.first().SendTextIn(chatID, userID, text, entities...)
}

// SendDocument is Bot.SendDocument for the first bot.
func (s *Server) SendDocument(userID int64, data []byte, name, mimeType, caption string) telego.Message {
	return s.first().SendDocument(userID, data, name, mimeType, caption)
}

// SendPhoto is Bot.SendPhoto for the first bot.
func (s *Server) SendPhoto(userID int64, data []byte, caption string) telego.Message {
	return s.first().SendPhoto(userID, data, caption)
}

// PushUpdate is Bot.PushUpdate for the first bot.
func (s *Server) PushUpdate(u any) (int64, error) { return s.first().PushUpdate(u) }

// MustPushUpdate is Bot.MustPushUpdate for the first bot.
func (s *Server) MustPushUpdate(u any) int64 { return s.first().MustPushUpdate(u) }

// Offset is Bot.Offset for the first bot.
func (s *Server) Offset() int64 { return s.first().Offset() }

// Pending is Bot.Pending for the first bot.
func (s *Server) Pending() int { return s.first().Pending() }

// Sent is Bot.Sent for the first bot.
func (s *Server) Sent() []Sent { return s.first().Sent() }

// SentTo is Bot.SentTo for the first bot.
func (s *Server) SentTo(chatID int64) []Sent { return s.first().SentTo(chatID) }

// WaitSent is Bot.WaitSent for the first bot.
func (s *Server) WaitSent(n int, timeout time.Duration) ([]Sent, error) {
	return s.first().WaitSent(n, timeout)
}

// ChatActions is Bot.ChatActions for the first bot.
func (s *Server) ChatActions(chatID int64) []ChatAction { return s.first().ChatActions(chatID) }

// Calls is Bot.Calls for the first bot.
func (s *Server) Calls(method string) int { return s.first().Calls(method) }

// Inject is Bot.Inject for the first bot.
func (s *Server) Inject(f Fault) { s.first().Inject(f) }

// TooManyRequests is Bot.TooManyRequests for the first bot.
func (s *Server) TooManyRequests(method string, n, retryAfter int) {
	s.first().TooManyRequests(method, n, retryAfter)
}

// ClearFaults is Bot.ClearFaults for the first bot.
func (s *Server) ClearFaults() { s.first().ClearFaults() }

// Served429 is Bot.Served429 for the first bot.
func (s *Server) Served429() int { return s.first().Served429() }

// WebhookURL is Bot.WebhookURL for the first bot.
func (s *Server) WebhookURL() string { return s.first().WebhookURL() }

// SetBusinessRights is Bot.SetBusinessRights for the first bot.
func (s *Server) SetBusinessRights(id string, rights telego.BusinessBotRights) telego.BusinessConnection {
	return s.first().SetBusinessRights(id, rights)
}

// DisableBusiness is Bot.DisableBusiness for the first bot.
func (s *Server) DisableBusiness(id string) telego.BusinessConnection {
	return s.first().DisableBusiness(id)
}

// EnableBusiness is Bot.EnableBusiness for the first bot.
func (s *Server) EnableBusiness(id string) telego.BusinessConnection {
	return s.first().EnableBusiness(id)
}

// RemoveBusiness is Bot.RemoveBusiness for the first bot.
func (s *Server) RemoveBusiness(id string) { s.first().RemoveBusiness(id) }

// BusinessConnection is Bot.BusinessConnection for the first bot.
func (s *Server) BusinessConnection(id string) (telego.BusinessConnection, bool) {
	return s.first().BusinessConnection(id)
}

// NewBusinessMessage is Bot.NewBusinessMessage for the first bot.
func (s *Server) NewBusinessMessage(id string, customerID, fromID int64) telego.Message {
	return s.first().NewBusinessMessage(id, customerID, fromID)
}

// PushBusinessMessage is Bot.PushBusinessMessage for the first bot.
func (s *Server) PushBusinessMessage(m telego.Message) int64 { return s.first().PushBusinessMessage(m) }

// PushBusinessEdit is Bot.PushBusinessEdit for the first bot.
func (s *Server) PushBusinessEdit(m telego.Message) int64 { return s.first().PushBusinessEdit(m) }

// SendBusinessText is Bot.SendBusinessText for the first bot.
func (s *Server) SendBusinessText(id string, customerID int64, text string) telego.Message {
	return s.first().SendBusinessText(id, customerID, text)
}

// SendBusinessOwnerText is Bot.SendBusinessOwnerText for the first bot.
func (s *Server) SendBusinessOwnerText(id string, customerID int64, text string) telego.Message {
	return s.first().SendBusinessOwnerText(id, customerID, text)
}

// EditBusinessText is Bot.EditBusinessText for the first bot.
func (s *Server) EditBusinessText(id string, customerID int64, messageID int, text string) telego.Message {
	return s.first().EditBusinessText(id, customerID, messageID, text)
}

// DeleteBusinessMessages is Bot.DeleteBusinessMessages for the first bot.
func (s *Server) DeleteBusinessMessages(id string, customerID int64, messageIDs ...int) int64 {
	return s.first().DeleteBusinessMessages(id, customerID, messageIDs...)
}

// BusinessRead is Bot.BusinessRead for the first bot.
func (s *Server) BusinessRead(id string, customerID int64) []int {
	return s.first().BusinessRead(id, customerID)
}

// ConnectBusinessQuietly is Bot.ConnectBusinessQuietly for the first bot.
func (s *Server) ConnectBusinessQuietly(owner telego.User, rights telego.BusinessBotRights) telego.BusinessConnection {
	return s.first().ConnectBusinessQuietly(owner, rights)
}
