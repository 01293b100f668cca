package telegramtest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
)

// Request is one successful Bot API call, for assertions on calls that send no message
// (answerCallbackQuery, setMessageReaction, readBusinessMessage, deleteMessage, createForumTopic,
// ...).
type Request struct {
	// Method is the method as the client spelled it (telego: "answerCallbackQuery").
	Method string
	// Params are all parameters as text (objects as JSON).
	Params map[string]string
	At     time.Time
}

func (s *Bot) logRequestLocked(method string, p params) {
	s.state.requests = append(s.state.requests, Request{Method: method, Params: p, At: s.opts.Now()})
	close(s.state.reqWake)
	s.state.reqWake = make(chan struct{})
}

// WaitRequests is Bot.WaitRequests for the first bot.
func (s *Server) WaitRequests(method string, n int, timeout time.Duration) ([]Request, error) {
	return s.first().WaitRequests(method, n, timeout)
}

// WaitRequests waits until the bot has made at least n successful calls of method
// (case-insensitive) and returns them; after timeout it returns what there is and an error.
func (s *Bot) WaitRequests(method string, n int, timeout time.Duration) ([]Request, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		wake := s.state.reqWake
		s.mu.Unlock()
		if got := s.Requests(method); len(got) >= n {
			return got, nil
		}
		select {
		case <-wake:
		case <-deadline.C:
			got := s.Requests(method)
			return got, fmt.Errorf("telegramtest: %d %s calls after %s, want %d", len(got), method, timeout, n)
		case <-s.closed:
			return s.Requests(method), errClosed
		}
	}
}

// Requests is Bot.Requests for the first bot.
func (s *Server) Requests(method string) []Request { return s.first().Requests(method) }

// Requests returns the successful calls of method (case-insensitive; every method if ""), in order.
func (s *Bot) Requests(method string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.state.requests {
		if method == "" || strings.EqualFold(r.Method, method) {
			out = append(out, r)
		}
	}
	return out
}

// callback is a callback query a user made by tapping a button.
type callback struct {
	query    telego.CallbackQuery
	answered bool
	answer   CallbackAnswer
}

// CallbackAnswer is the bot's answerCallbackQuery for one tap.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	URL       string
	At        time.Time
}

// chatInstance is the stable chat_instance Telegram sends with callback queries from one chat.
func (s *Bot) chatInstance(chatID int64) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", s.opts.Bot.ID, chatID)))
	return strconv.FormatInt(int64(binary.BigEndian.Uint64(h[:8])>>1), 10)
}

// TapButton is Bot.TapButton for the first bot.
func (s *Server) TapButton(chatID int64, messageID int, userID int64, data string) (string, error) {
	return s.first().TapButton(chatID, messageID, userID, data)
}

// TapButton makes user userID tap the inline button with callback_data data on the bot's message
// messageID in chatID, and queues the callback_query update (id, from, message as it is now,
// chat_instance, data). It returns the query ID, or an error when there is no such message or
// button (a tap the user could not make).
func (s *Bot) TapButton(chatID int64, messageID int, userID int64, data string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.state.chats[chatID]
	if c == nil {
		return "", fmt.Errorf("telegramtest: TapButton in unknown chat %d", chatID)
	}
	return s.tapLocked(c, messageID, userID, data)
}

// TapBusinessButton is TapButton on a message the bot sent in customer customerID's chat of
// business connection id: the customer taps, and the query's message carries
// business_connection_id.
func (s *Bot) TapBusinessButton(id string, customerID int64, messageID int, data string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bc := s.state.business[id]
	if bc == nil || bc.chats[customerID] == nil {
		return "", fmt.Errorf("telegramtest: TapBusinessButton in unknown business chat %s/%d", id, customerID)
	}
	return s.tapLocked(bc.chats[customerID], messageID, customerID, data)
}

func (s *Bot) tapLocked(c *chat, messageID int, userID int64, data string) (string, error) {
	u, ok := s.state.users[userID]
	if !ok {
		return "", fmt.Errorf("telegramtest: tap by unknown user %d", userID)
	}
	m := c.messages[messageID]
	if m == nil || !s.ownLocked(m) {
		return "", fmt.Errorf("telegramtest: no message %d of the bot in chat %d", messageID, c.info.ID)
	}
	found := false
	if kb := m.ReplyMarkup; kb != nil {
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				found = found || b.CallbackData == data
			}
		}
	}
	if !found {
		return "", fmt.Errorf("telegramtest: message %d has no button with callback_data %q", messageID, data)
	}
	s.state.nextCallback++
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%d/%d", s.opts.Bot.ID, userID, s.state.nextCallback)))
	qid := strconv.FormatUint(binary.BigEndian.Uint64(h[:8])>>1, 10)
	msg := *m
	q := telego.CallbackQuery{ID: qid, From: u, Message: &msg, ChatInstance: s.chatInstance(c.info.ID), Data: data}
	s.state.callbacks[qid] = &callback{query: q}
	s.pushLocked(telego.Update{CallbackQuery: &q})
	return qid, nil
}

// TapBusinessButton is Bot.TapBusinessButton for the first bot.
func (s *Server) TapBusinessButton(id string, customerID int64, messageID int, data string) (string, error) {
	return s.first().TapBusinessButton(id, customerID, messageID, data)
}

// CallbackAnswers is Bot.CallbackAnswers for the first bot.
func (s *Server) CallbackAnswers() []CallbackAnswer { return s.first().CallbackAnswers() }

// CallbackAnswers returns the bot's answers to callback queries, in order.
func (s *Bot) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CallbackAnswer
	for _, r := range s.state.requests {
		if strings.EqualFold(r.Method, "answerCallbackQuery") {
			if cb := s.state.callbacks[r.Params["callback_query_id"]]; cb != nil {
				out = append(out, cb.answer)
			}
		}
	}
	return out
}

// Unanswered is Bot.Unanswered for the first bot.
func (s *Server) Unanswered() []string { return s.first().Unanswered() }

// Unanswered returns the IDs of callback queries the bot has not answered (the user's button
// still spins), sorted.
func (s *Bot) Unanswered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, cb := range s.state.callbacks {
		if !cb.answered {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (s *Bot) answerCallbackQuery(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	id := p["callback_query_id"]
	if id == "" {
		return nil, badRequest("query_id is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.state.callbacks[id]
	// Telegram answers a second answer, or an unknown ID, with QUERY_ID_INVALID.
	if cb == nil || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	cb.answered = true
	cb.answer = CallbackAnswer{QueryID: id, Text: p["text"], ShowAlert: p.bool("show_alert"), URL: p["url"], At: s.opts.Now()}
	return true, nil
}

// validateKeyboard checks an inline keyboard the way Telegram does: a non-empty callback_data is
// 1-64 bytes (Telegram's BUTTON_DATA_INVALID), and a button needs an action besides its text (the
// open-source server's "Text buttons are unallowed in the inline keyboard"; an empty callback_data
// counts as none there too).
func validateKeyboard(raw json.RawMessage) *apiError {
	if raw == nil {
		return nil
	}
	var kb struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	if json.Unmarshal(raw, &kb) != nil {
		return nil // another kind of reply markup
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			actions := 0
			for k, v := range b {
				switch k {
				case "text":
				case "callback_data":
					var data string
					_ = json.Unmarshal(v, &data)
					if len(data) > 64 {
						return badRequest("BUTTON_DATA_INVALID")
					}
					if data != "" {
						actions++
					}
				default:
					actions++
				}
			}
			if actions == 0 {
				return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
		}
	}
	return nil
}

// reactionKey is one user's (or the bot's) reaction on one message.
type reactionKey struct {
	chat int64
	msg  int
	user int64
}

// standardReactions are the emoji bots may set (Bot API ReactionTypeEmoji).
var standardReactions = func() map[string]bool {
	out := map[string]bool{}
	for _, e := range strings.Fields("👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡") {
		out[e] = true
	}
	return out
}()

// IsStandardReaction reports whether bots may set emoji as a reaction.
func IsStandardReaction(emoji string) bool { return standardReactions[emoji] }

func emojiReactions(emoji []string) []telego.ReactionType {
	out := make([]telego.ReactionType, 0, len(emoji))
	for _, e := range emoji {
		out = append(out, &telego.ReactionTypeEmoji{Type: telego.ReactionEmoji, Emoji: e})
	}
	return out
}

// React is Bot.React for the first bot.
func (s *Server) React(chatID int64, messageID int, userID int64, emoji ...string) int64 {
	return s.first().React(chatID, messageID, userID, emoji...)
}

// React makes user userID set their reactions on message messageID in chatID to emoji (none:
// remove them) and queues the message_reaction update with the old and new lists. Telegram sends
// it only to bots that listed message_reaction in allowed_updates, so without that it returns 0.
// It panics on an unknown user, chat or message (a tap the user could not make).
func (s *Bot) React(chatID int64, messageID int, userID int64, emoji ...string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.state.users[userID]
	c := s.state.chats[chatID]
	if !ok || c == nil || c.messages[messageID] == nil {
		panic("telegramtest: React by an unknown user or on an unknown message")
	}
	k := reactionKey{chatID, messageID, userID}
	old := s.state.reactions[k]
	if old == nil {
		old = []telego.ReactionType{}
	}
	now := emojiReactions(emoji)
	if len(now) == 0 {
		delete(s.state.reactions, k)
	} else {
		s.state.reactions[k] = now
	}
	user := u
	return s.pushLocked(telego.Update{MessageReaction: &telego.MessageReactionUpdated{Chat: c.info, MessageID: messageID,
		User: &user, Date: s.opts.Now().Unix(), OldReaction: old, NewReaction: now}})
}

// Reactions is Bot.Reactions for the first bot.
func (s *Server) Reactions(chatID int64, messageID int) []string {
	return s.first().Reactions(chatID, messageID)
}

// Reactions returns the emoji the bot has set on a message with setMessageReaction (none after an
// empty list removed them).
func (s *Bot) Reactions(chatID int64, messageID int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.state.reactions[reactionKey{chatID, messageID, s.opts.Bot.ID}] {
		if e, ok := r.(*telego.ReactionTypeEmoji); ok {
			out = append(out, e.Emoji)
		}
	}
	return out
}

func (s *Bot) setMessageReaction(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	mid, e := p.int("message_id", 0)
	if e != nil {
		return nil, e
	}
	var list []struct {
		Type  string `json:"type"`
		Emoji string `json:"emoji"`
	}
	if raw := p.rawJSON("reaction"); raw != nil {
		if json.Unmarshal(raw, &list) != nil {
			return nil, badRequest("can't parse reaction types JSON object")
		}
	}
	for _, r := range list {
		switch r.Type {
		case telego.ReactionEmoji:
			if !standardReactions[r.Emoji] {
				return nil, badRequest("REACTION_INVALID")
			}
		case telego.ReactionCustomEmoji, telego.ReactionPaid:
			// Bots may use a custom emoji only where the chat allows it, and never paid
			// reactions; the fake's chats allow neither.
			return nil, badRequest("REACTION_INVALID")
		default:
			return nil, badRequest("invalid reaction type specified")
		}
	}
	if len(list) > 1 {
		return nil, badRequest("REACTIONS_TOO_MANY") // a bot is not Premium: one reaction per message
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	if c.messages[int(mid)] == nil {
		return nil, badRequest("message to react not found")
	}
	k := reactionKey{c.info.ID, int(mid), s.opts.Bot.ID}
	if len(list) == 0 {
		delete(s.state.reactions, k)
	} else {
		s.state.reactions[k] = emojiReactions([]string{list[0].Emoji})
	}
	return true, nil
}
