package telegramtest

import (
	"strings"

	"github.com/mymmrac/telego"
)

// AddUser registers a Telegram user who has started the bot, so their private chat (same ID as the
// user) exists. A zero ID gets the next free one; empty FirstName gets "User". It returns the user as
// stored.
func (s *Server) AddUser(u telego.User) telego.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == 0 {
		u.ID = 5551234
		for s.state.users[u.ID].ID != 0 {
			u.ID++
		}
	}
	if u.FirstName == "" {
		u.FirstName = "User"
	}
	u.IsBot = false
	s.state.users[u.ID] = u
	if _, ok := s.state.chats[u.ID]; !ok {
		s.state.chats[u.ID] = &chat{
			info: telego.Chat{ID: u.ID, Type: telego.ChatTypePrivate, FirstName: u.FirstName,
				LastName: u.LastName, Username: u.Username},
			messages: map[int]*telego.Message{},
		}
	}
	return u
}

// AddGroup registers a group the bot is a member of and returns it. A zero ID gets a supergroup ID
// (-100…); the type is "supergroup" when the ID starts with -100, else "group".
func (s *Server) AddGroup(c telego.Chat) telego.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == 0 {
		c.ID = -1001000000001
		for s.state.chats[c.ID] != nil {
			c.ID--
		}
	}
	if c.Type == "" {
		c.Type = telego.ChatTypeGroup
		if c.ID <= -1000000000000 {
			c.Type = telego.ChatTypeSupergroup
		}
	}
	if c.Title == "" {
		c.Title = "Group"
	}
	s.state.chats[c.ID] = &chat{info: c, messages: map[int]*telego.Message{}}
	return c
}

// Block makes every send to chatID answer 403 "Forbidden: bot was blocked by the user" from now
// on, as after the user blocked the bot. (Telegram also sends a my_chat_member update with status
// "kicked"; push one with PushUpdate when a test needs it.)
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.state.chats[chatID]; c != nil {
		c.blocked = true
	}
}

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.state.chats[chatID]; c != nil {
		c.blocked = false
	}
}

func lower(s string) string { return strings.ToLower(s) }
