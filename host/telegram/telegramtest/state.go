package telegramtest

import (
	"encoding/json"

	"github.com/mymmrac/telego"
)

// state is everything the fake remembers; Server.mu guards it.
type state struct {
	users map[int64]telego.User
	chats map[int64]*chat

	nextUpdateID int64
	queue        []queued
	confirmed    int64
	wake         chan struct{} // closed and replaced whenever an update is queued
	poll         *poll         // the pending long poll, if any
	allowed      map[string]bool

	webhook *webhook

	files      map[string]*file // by file_id
	filesPath  map[string]*file // by file_path
	nextFileNo int

	sent     []Sent
	sentWake chan struct{} // closed and replaced whenever a message is recorded
	actions  []ChatAction
	commands json.RawMessage

	faults    []*Fault
	calls     map[string]int
	served429 int
}

// chat is one chat the bot can talk to.
type chat struct {
	info     telego.Chat
	nextMsg  int
	messages map[int]*telego.Message // the bot's own messages, for edits and deletes
	blocked  bool
}

// defaultAllowed is what Telegram delivers when allowed_updates was never set or set to [] (§3.1).
var defaultExcluded = map[string]bool{"chat_member": true, "message_reaction": true, "message_reaction_count": true}

func (st *state) init(opts Options) {
	st.users = map[int64]telego.User{}
	st.chats = map[int64]*chat{}
	st.nextUpdateID = opts.FirstUpdateID
	st.wake = make(chan struct{})
	st.files = map[string]*file{}
	st.filesPath = map[string]*file{}
	st.sentWake = make(chan struct{})
	st.calls = map[string]int{}
}

// chatLocked returns the chat with id, creating an empty record for known users' private chats.
func (s *Server) chatLocked(id int64) *chat {
	if c, ok := s.state.chats[id]; ok {
		return c
	}
	return nil
}

// resolveChatLocked finds the chat a chat_id parameter names.
func (s *Server) resolveChatLocked(ref chatRef) (*chat, *apiError) {
	if ref.Username != "" {
		for _, c := range s.state.chats {
			if c.info.Username != "" && c.info.Username == ref.Username {
				return c, nil
			}
		}
		return nil, badRequest("chat not found")
	}
	c := s.chatLocked(ref.ID)
	if c == nil {
		return nil, badRequest("chat not found")
	}
	return c, nil
}

func (s *Server) countCall(method string) {
	s.mu.Lock()
	s.state.calls[method]++
	s.mu.Unlock()
}

// Calls reports how many times the bot called method (case-insensitive), faults included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.calls[lower(method)]
}
