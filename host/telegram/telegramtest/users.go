package telegramtest

import (
	"strings"

	"github.com/mymmrac/telego"
)

// RegisterUser makes a Telegram user known to the fake without starting any bot: a business
// customer, a group member, an account owner. A zero ID gets the next free one; empty FirstName
// gets "User". Registering an existing ID updates the user. It returns the user as stored.
func (s *Server) RegisterUser(u telego.User) telego.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registerUserLocked(u)
}

func (s *Server) registerUserLocked(u telego.User) telego.User {
	if u.ID == 0 {
		u.ID = 5551234
		for s.world.users[u.ID].ID != 0 {
			u.ID++
		}
	}
	if u.FirstName == "" {
		u.FirstName = "User"
	}
	u.IsBot = false
	s.world.users[u.ID] = u
	return u
}

// AddUser registers a Telegram user who has started the first bot, so their private chat (same ID
// as the user) exists. A zero ID gets the next free one; empty FirstName gets "User". It returns
// the user as stored.
func (s *Server) AddUser(u telego.User) telego.User { return s.first().AddUser(u) }

// AddUser registers a Telegram user (or reuses a registered one with that ID) who has started
// this bot, so their private chat with it exists.
func (s *Bot) AddUser(u telego.User) telego.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID != 0 && u.FirstName == "" {
		if known, ok := s.state.users[u.ID]; ok {
			u = known
		}
	}
	u = s.srv.registerUserLocked(u)
	s.startChatLocked(u)
	return u
}

// startChatLocked creates u's private chat with the bot if there is none.
func (s *Bot) startChatLocked(u telego.User) *chat {
	if c, ok := s.state.chats[u.ID]; ok {
		return c
	}
	c := &chat{info: privateChat(u), messages: map[int]*telego.Message{}}
	s.state.chats[u.ID] = c
	return c
}

// privateChat is the Chat object of a private chat with u.
func privateChat(u telego.User) telego.Chat {
	return telego.Chat{ID: u.ID, Type: telego.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName,
		Username: u.Username}
}

// AddGroup registers a group the first bot is a member of and returns it. A zero ID gets a
// supergroup ID (-100…); the type is "supergroup" when the ID starts with -100, else "group".
// AddSupergroup makes groups with members, admins, rights and topics.
func (s *Server) AddGroup(c telego.Chat) telego.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == 0 {
		c.ID = s.freeGroupIDLocked()
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
	g := &chat{info: c, messages: map[int]*telego.Message{}, group: newGroup()}
	s.world.groups[c.ID] = g
	b := s.bots[0]
	g.group.members[b.opts.Bot.ID] = &member{status: telego.MemberStatusMember}
	b.state.chats[c.ID] = g
	return c
}

func (s *Server) freeGroupIDLocked() int64 {
	id := int64(-1001000000001)
	for s.world.groups[id] != nil {
		id--
	}
	return id
}

// Block makes every send of the first bot to chatID answer 403 "Forbidden: bot was blocked by the
// user" (or "bot was kicked from the ... chat" for a group) from now on, as after the user blocked
// the bot. (Telegram also sends a my_chat_member update with status "kicked"; push one with
// PushUpdate when a test needs it.)
func (s *Server) Block(chatID int64) { s.first().Block(chatID) }

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) { s.first().Unblock(chatID) }

// Block makes every send of this bot to chatID answer 403 from now on (see Server.Block).
func (s *Bot) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.chats[chatID] != nil {
		s.state.blocked[chatID] = true
	}
}

// Unblock undoes Block.
func (s *Bot) Unblock(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.state.blocked, chatID)
}

func lower(s string) string { return strings.ToLower(s) }
