package telegramtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// fakeClock is an injectable clock for Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// rawUpdates calls getUpdates over plain HTTP and returns the result array as raw JSON objects,
// to check wire shapes telego's types would hide.
func rawUpdates(t *testing.T, s *telegramtest.Server, token, body string) []map[string]json.RawMessage {
	t.Helper()
	resp, err := http.Post(s.URL()+"/bot"+token+"/getUpdates", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		OK     bool                         `json:"ok"`
		Result []map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || !env.OK {
		t.Fatalf("getUpdates: %s", raw)
	}
	return env.Result
}

// fields decodes a raw JSON object into its top-level fields.
func fields(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m
}

func TestSeveralBotsAreIndependent(t *testing.T) {
	s := start(t, telegramtest.Options{})
	support := bot(t, s, "")
	staffBot := s.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Staff", Username: "staff_bot"}})
	staff := bot(t, s, staffBot.Token())

	me, err := staff.GetMe(t.Context())
	if err != nil || me.Username != "staff_bot" || me.ID != staffBot.User().ID || !me.IsBot {
		t.Fatalf("staff getMe = %+v, %v", me, err)
	}
	if first, _ := support.GetMe(t.Context()); first.Username != "parley_test_bot" {
		t.Fatalf("first bot getMe = %+v", first)
	}
	if len(s.Bots()) != 2 || s.First().Token() != s.Token() {
		t.Fatal("Bots/First do not list the first bot first")
	}

	// Ann started both bots: one user, two private chats with their own message_ids.
	ann := s.AddUser(telego.User{FirstName: "Ann"})
	staffBot.AddUser(telego.User{ID: ann.ID})
	s.SendText(ann.ID, "to support")
	staffBot.SendText(ann.ID, "to staff")
	staffBot.SendText(ann.ID, "to staff again")

	ups, err := support.GetUpdates(t.Context(), nil)
	if err != nil || len(ups) != 1 || ups[0].Message.Text != "to support" || ups[0].Message.MessageID != 1 {
		t.Fatalf("support updates = %+v, %v", ups, err)
	}
	sups, err := staff.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: 0})
	if err != nil || len(sups) != 2 || sups[1].Message.MessageID != 2 {
		t.Fatalf("staff updates = %+v, %v", sups, err)
	}
	// Confirming on one bot leaves the other's queue alone.
	if _, err := staff.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: sups[1].UpdateID + 1}); err != nil {
		t.Fatal(err)
	}
	if staffBot.Pending() != 0 || s.Pending() != 1 || s.Offset() != 0 {
		t.Fatalf("pending staff %d support %d, support offset %d", staffBot.Pending(), s.Pending(), s.Offset())
	}

	// Sends are recorded per bot; a webhook on one bot does not stop the other polling.
	if _, err := staff.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "from staff")); err != nil {
		t.Fatal(err)
	}
	if len(s.Sent()) != 0 || len(staffBot.Sent()) != 1 {
		t.Fatalf("sent: support %d staff %d", len(s.Sent()), len(staffBot.Sent()))
	}
	if err := staff.SetWebhook(t.Context(), &telego.SetWebhookParams{URL: "http://127.0.0.1:1/hook"}); err != nil {
		t.Fatal(err)
	}
	if _, err := support.GetUpdates(t.Context(), nil); err != nil {
		t.Fatalf("support polls while staff has a webhook: %v", err)
	}
	if staffBot.WebhookURL() == "" || s.WebhookURL() != "" {
		t.Fatal("webhook set on the wrong bot")
	}

	// One bot's token revoked: that bot is 401, the other keeps working.
	staffBot.RevokeToken()
	if _, err := staff.GetMe(t.Context()); apiErr(t, err).ErrorCode != 401 {
		t.Fatalf("revoked staff: %v", err)
	}
	if _, err := support.GetMe(t.Context()); err != nil {
		t.Fatalf("support after staff revoked: %v", err)
	}
}

func TestInlineKeyboardAndCallbackQuery(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	ann := s.AddUser(telego.User{FirstName: "Ann"})
	row := tu.InlineKeyboardRow(tu.InlineKeyboardButton("1").WithCallbackData("r:1"), tu.InlineKeyboardButton("2").WithCallbackData("r:2"))

	_, err := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "rate").WithReplyMarkup(
		tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("x").WithCallbackData(strings.Repeat("d", 65))))))
	if e := apiErr(t, err); e.ErrorCode != 400 || e.Description != "Bad Request: BUTTON_DATA_INVALID" {
		t.Fatalf("65-byte callback_data: %v", err)
	}
	_, err = b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "rate").WithReplyMarkup(
		tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("no action")))))
	if e := apiErr(t, err); e.Description != "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard" {
		t.Fatalf("button without an action: %v", err)
	}
	msg, err := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "How did we do?").WithReplyMarkup(tu.InlineKeyboard(row)))
	if err != nil || msg.ReplyMarkup == nil || msg.ReplyMarkup.InlineKeyboard[0][1].CallbackData != "r:2" {
		t.Fatalf("send with keyboard: %+v, %v", msg, err)
	}

	if _, err := s.TapButton(ann.ID, msg.MessageID, ann.ID, "r:9"); err == nil {
		t.Fatal("tap on a button that does not exist succeeded")
	}
	qid, err := s.TapButton(ann.ID, msg.MessageID, ann.ID, "r:2")
	if err != nil {
		t.Fatal(err)
	}
	raw := rawUpdates(t, s, s.Token(), "null")
	if len(raw) != 1 {
		t.Fatalf("updates = %v", raw)
	}
	cq := fields(t, raw[0]["callback_query"])
	for _, k := range []string{"id", "from", "message", "chat_instance", "data"} {
		if _, ok := cq[k]; !ok {
			t.Fatalf("callback_query lacks %q: %v", k, cq)
		}
	}
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := ups[0].CallbackQuery
	if q == nil || q.ID != qid || q.Data != "r:2" || q.From.ID != ann.ID || q.ChatInstance == "" ||
		q.Message.GetMessageID() != msg.MessageID || q.Message.Message().Text != "How did we do?" {
		t.Fatalf("callback_query = %+v", q)
	}
	if got := s.Unanswered(); len(got) != 1 || got[0] != qid {
		t.Fatalf("unanswered = %v", got)
	}

	if err := b.AnswerCallbackQuery(t.Context(), tu.CallbackQuery(qid).WithText("Thanks")); err != nil {
		t.Fatal(err)
	}
	if len(s.Unanswered()) != 0 || len(s.CallbackAnswers()) != 1 || s.CallbackAnswers()[0].Text != "Thanks" {
		t.Fatalf("answers = %+v", s.CallbackAnswers())
	}
	err = b.AnswerCallbackQuery(t.Context(), tu.CallbackQuery(qid))
	if e := apiErr(t, err); e.Description != "Bad Request: query is too old and response timeout expired or query ID is invalid" {
		t.Fatalf("second answer: %v", err)
	}

	// editMessageText without reply_markup drops the keyboard, as on Telegram.
	edited, err := b.EditMessageText(t.Context(), &telego.EditMessageTextParams{ChatID: tu.ID(ann.ID), MessageID: msg.MessageID, Text: "Thank you!"})
	if err != nil || edited.Text != "Thank you!" || edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Fatalf("edit = %+v, %v", edited, err)
	}
	if _, err := s.TapButton(ann.ID, msg.MessageID, ann.ID, "r:2"); err == nil {
		t.Fatal("tap on a removed keyboard succeeded")
	}
	kb, err := b.EditMessageReplyMarkup(t.Context(), &telego.EditMessageReplyMarkupParams{ChatID: tu.ID(ann.ID), MessageID: msg.MessageID, ReplyMarkup: tu.InlineKeyboard(row)})
	if err != nil || kb.ReplyMarkup == nil || len(kb.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Fatalf("editMessageReplyMarkup = %+v, %v", kb, err)
	}
	_, err = b.EditMessageReplyMarkup(t.Context(), &telego.EditMessageReplyMarkupParams{ChatID: tu.ID(ann.ID), MessageID: msg.MessageID, ReplyMarkup: tu.InlineKeyboard(row)})
	if e := apiErr(t, err); !strings.HasPrefix(e.Description, "Bad Request: message is not modified") {
		t.Fatalf("same markup: %v", err)
	}
	// A user's message is not the bot's to edit.
	userMsg := s.SendText(ann.ID, "mine")
	_, err = b.EditMessageText(t.Context(), &telego.EditMessageTextParams{ChatID: tu.ID(ann.ID), MessageID: userMsg.MessageID, Text: "x"})
	if e := apiErr(t, err); e.Description != "Bad Request: message can't be edited" {
		t.Fatalf("edit a user's message: %v", err)
	}
	// A reply carries the replied-to message, one level deep.
	answer, err := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "yours").WithReplyParameters(&telego.ReplyParameters{MessageID: userMsg.MessageID}))
	if err != nil || answer.ReplyToMessage == nil || answer.ReplyToMessage.Text != "mine" || answer.ReplyToMessage.From.ID != ann.ID {
		t.Fatalf("reply = %+v, %v", answer, err)
	}
	if n := len(s.Requests("answerCallbackQuery")); n != 1 {
		t.Fatalf("answerCallbackQuery requests = %d", n)
	}
	// A callback query pushed by hand (any shape) can be answered too.
	s.MustPushUpdate(`{"callback_query":{"id":"4242","from":{"id":1,"is_bot":false,"first_name":"X"},"chat_instance":"1","data":"x"}}`)
	if err := b.AnswerCallbackQuery(t.Context(), tu.CallbackQuery("4242")); err != nil {
		t.Fatalf("answer a pushed callback query: %v", err)
	}
}

func TestReactionsBothWays(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	ann := s.AddUser(telego.User{FirstName: "Ann"})
	reply, err := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "on it"))
	if err != nil {
		t.Fatal(err)
	}

	// Without message_reaction in allowed_updates Telegram sends no reaction updates.
	if id := s.React(ann.ID, reply.MessageID, ann.ID, "👍"); id != 0 || s.Pending() != 0 {
		t.Fatalf("reaction delivered without being asked for: id %d pending %d", id, s.Pending())
	}
	if _, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{AllowedUpdates: []string{"message", "message_reaction"}}); err != nil {
		t.Fatal(err)
	}
	s.React(ann.ID, reply.MessageID, ann.ID, "🔥")
	s.React(ann.ID, reply.MessageID, ann.ID)
	raw := rawUpdates(t, s, s.Token(), "null")
	if len(raw) != 2 {
		t.Fatalf("updates = %v", raw)
	}
	first := fields(t, raw[0]["message_reaction"])
	if string(first["old_reaction"]) != `[{"type":"emoji","emoji":"👍"}]` || string(first["new_reaction"]) != `[{"type":"emoji","emoji":"🔥"}]` {
		t.Fatalf("first reaction = %s / %s", first["old_reaction"], first["new_reaction"])
	}
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := ups[1].MessageReaction
	if r == nil || r.MessageID != reply.MessageID || r.User.ID != ann.ID || len(r.OldReaction) != 1 || len(r.NewReaction) != 0 || r.Date == 0 {
		t.Fatalf("removal = %+v", r)
	}

	// The bot reacts to the customer's message: standard emoji only, one at a time, [] removes.
	question := s.SendText(ann.ID, "help?")
	set := func(emoji ...string) error {
		var list []telego.ReactionType
		for _, e := range emoji {
			list = append(list, &telego.ReactionTypeEmoji{Type: telego.ReactionEmoji, Emoji: e})
		}
		return b.SetMessageReaction(t.Context(), &telego.SetMessageReactionParams{ChatID: tu.ID(ann.ID), MessageID: question.MessageID, Reaction: list})
	}
	if err := set("👀"); err != nil {
		t.Fatal(err)
	}
	if got := s.Reactions(ann.ID, question.MessageID); len(got) != 1 || got[0] != "👀" {
		t.Fatalf("reactions = %v", got)
	}
	if e := apiErr(t, set("🦖")); e.ErrorCode != 400 || e.Description != "Bad Request: REACTION_INVALID" {
		t.Fatalf("non-standard emoji: %v", e)
	}
	if err := set(); err != nil {
		t.Fatal(err)
	}
	if got := s.Reactions(ann.ID, question.MessageID); len(got) != 0 {
		t.Fatalf("reactions after [] = %v", got)
	}
	err = b.SetMessageReaction(t.Context(), &telego.SetMessageReactionParams{ChatID: tu.ID(ann.ID), MessageID: 999})
	if e := apiErr(t, err); e.Description != "Bad Request: message to react not found" {
		t.Fatalf("unknown message: %v", err)
	}
}

func TestDeleteMessageChatActionAndProfilePhotos(t *testing.T) {
	clock := newClock()
	s := start(t, telegramtest.Options{Now: clock.Now})
	b := bot(t, s, "")
	ann := s.AddUser(telego.User{FirstName: "Ann"})
	del := func(id int) error {
		return b.DeleteMessage(t.Context(), &telego.DeleteMessageParams{ChatID: tu.ID(ann.ID), MessageID: id})
	}
	recent, _ := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "recent"))
	old, _ := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "old"))
	clock.Advance(47 * time.Hour)
	if err := del(recent.MessageID); err != nil {
		t.Fatalf("delete after 47 h: %v", err)
	}
	if e := apiErr(t, del(recent.MessageID)); e.Description != "Bad Request: message to delete not found" {
		t.Fatalf("delete twice: %v", e)
	}
	clock.Advance(time.Hour)
	if e := apiErr(t, del(old.MessageID)); e.ErrorCode != 400 || e.Description != "Bad Request: message can't be deleted" {
		t.Fatalf("delete after 48 h: %v", e)
	}

	if err := b.SendChatAction(t.Context(), tu.ChatAction(tu.ID(ann.ID), telego.ChatActionTyping)); err != nil {
		t.Fatal(err)
	}
	if a := s.ChatActions(ann.ID); len(a) != 1 || a[0].Action != "typing" || !a[0].At.Equal(clock.Now()) {
		t.Fatalf("chat actions = %+v", a)
	}

	// Profile photos: each in 160/320/640, fetchable with getFile; hidden ones count 0.
	s.SetProfilePhotos(ann.ID, []byte("newest"), []byte("older"))
	photos, err := b.GetUserProfilePhotos(t.Context(), &telego.GetUserProfilePhotosParams{UserID: ann.ID, Limit: 1})
	if err != nil || photos.TotalCount != 2 || len(photos.Photos) != 1 || len(photos.Photos[0]) != 3 {
		t.Fatalf("profile photos = %+v, %v", photos, err)
	}
	small := photos.Photos[0][0]
	if small.Width != 160 || photos.Photos[0][2].Width != 640 {
		t.Fatalf("sizes = %+v", photos.Photos[0])
	}
	f, err := b.GetFile(t.Context(), &telego.GetFileParams{FileID: small.FileID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tu.DownloadFile(b.FileDownloadURL(f.FilePath))
	if err != nil || !bytes.Equal(got, []byte("newest")) {
		t.Fatalf("download = %q, %v", got, err)
	}
	bob := s.AddUser(telego.User{FirstName: "Bob"})
	s.SetProfilePhotos(bob.ID, []byte("x"))
	s.HideProfilePhotos(bob.ID)
	hidden, err := b.GetUserProfilePhotos(t.Context(), &telego.GetUserProfilePhotosParams{UserID: bob.ID})
	if err != nil || hidden.TotalCount != 0 || len(hidden.Photos) != 0 {
		t.Fatalf("hidden photos = %+v, %v", hidden, err)
	}
	_, err = b.GetUserProfilePhotos(t.Context(), &telego.GetUserProfilePhotosParams{UserID: 42})
	if e := apiErr(t, err); e.Description != "Bad Request: user not found" {
		t.Fatalf("unknown user: %v", err)
	}
}
