package telegramtest

import (
	"encoding/json"

	"github.com/mymmrac/telego"
)

// state is everything one bot's side of the fake remembers; Server.mu guards it. users and
// files are the world's maps, shared by every bot.
type state struct {
	world   *world
	users   map[int64]telego.User
	chats   map[int64]*chat // private chats with users who started the bot, and groups it is in
	blocked map[int64]bool  // chats that answer 403 (the user blocked the bot, the bot was kicked)

	nextUpdateID int64
	queue        []queued
	confirmed    int64
	wake         chan struct{} // closed and replaced whenever an update is queued
	poll         *poll         // the pending long poll, if any
	allowed      map[string]bool

	webhook *webhook

	files     map[string]*file // by file_id (the world's)
	filesPath map[string]*file // by file_path (the world's)

	business     map[string]*businessConn
	callbacks    map[string]*callback // by callback_query id
	nextCallback int
	reactions    map[reactionKey][]telego.ReactionType
	requests     []Request
	reqWake      chan struct{} // closed and replaced whenever a request is logged

	sent     []Sent
	sentWake chan struct{} // closed and replaced whenever a message is recorded
	actions  []ChatAction
	commands json.RawMessage

	faults    []*Fault
	calls     map[string]int
	served429 int
}

// chat is one chat the bot can talk to. A group's chat is shared by every bot in it (one
// message_id sequence); a private chat belongs to one bot.
type chat struct {
	info     telego.Chat
	nextMsg  int
	messages map[int]*telego.Message // every message known in the chat, the bot's and the users'
	group    *group                  // nil for private chats
	biz      *businessConn           // set for a customer's chat with a business account
}

// allocID returns the chat's next message_id (in a business chat, the account's next one).
func (c *chat) allocID() int {
	if c.biz != nil {
		c.biz.nextMsg++
		c.nextMsg = c.biz.nextMsg
		return c.nextMsg
	}
	c.nextMsg++
	return c.nextMsg
}

// defaultAllowed is what Telegram delivers when allowed_updates was never set or set to [] (Bot API, getUpdates).
var defaultExcluded = map[string]bool{"chat_member": true, "message_reaction": true, "message_reaction_count": true}

func (st *state) init(opts Options, w *world) {
	st.world = w
	st.users = w.users
	st.chats = map[int64]*chat{}
	st.blocked = map[int64]bool{}
	st.business = map[string]*businessConn{}
	st.callbacks = map[string]*callback{}
	st.reactions = map[reactionKey][]telego.ReactionType{}
	st.nextUpdateID = opts.FirstUpdateID
	st.wake = make(chan struct{})
	st.files = w.files
	st.filesPath = w.filesPath
	st.sentWake = make(chan struct{})
	st.reqWake = make(chan struct{})
	st.calls = map[string]int{}
}

// chatLocked returns the chat with id, creating an empty record for known users' private chats.
func (s *Bot) chatLocked(id int64) *chat {
	if c, ok := s.state.chats[id]; ok {
		return c
	}
	return nil
}

// resolveChatLocked finds the chat a chat_id parameter names.
func (s *Bot) resolveChatLocked(ref chatRef) (*chat, *apiError) {
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

func (s *Bot) countCall(method string) {
	s.mu.Lock()
	s.state.calls[method]++
	s.mu.Unlock()
}

// Calls reports how many times the bot called method (case-insensitive), faults included.
func (s *Bot) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.calls[lower(method)]
}
