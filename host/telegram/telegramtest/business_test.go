package telegramtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

func TestBusinessConnectionAndMessages(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	bot := s.First()
	conn := s.ConnectBusiness(telego.User{FirstName: "Acme", Username: "acme_shop"},
		telego.BusinessBotRights{CanReply: true, CanReadMessages: true, CanDeleteSentMessages: true})
	cust := s.RegisterUser(telego.User{FirstName: "Carl", Username: "carl"})
	in := bot.SendBusinessText(conn.ID, cust.ID, "is my order shipped?")
	own := bot.SendBusinessOwnerText(conn.ID, cust.ID, "let me check")

	raw := rawUpdates(t, s, s.Token(), "null")
	if len(raw) != 3 {
		t.Fatalf("updates = %v", raw)
	}
	bc := fields(t, raw[0]["business_connection"])
	for _, k := range []string{"id", "user", "user_chat_id", "date", "rights", "is_enabled", "can_reply"} {
		if _, ok := bc[k]; !ok {
			t.Fatalf("business_connection lacks %q: %v", k, bc)
		}
	}
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := ups[0].BusinessConnection
	if got == nil || got.ID != conn.ID || got.User.Username != "acme_shop" || got.UserChatID != got.User.ID ||
		!got.IsEnabled || got.Rights == nil || !got.Rights.CanReply {
		t.Fatalf("business_connection = %+v", got)
	}
	m := ups[1].BusinessMessage
	if m == nil || m.BusinessConnectionID != conn.ID || m.From.ID != cust.ID || m.Chat.ID != cust.ID ||
		m.Chat.Type != telego.ChatTypePrivate || m.Text != "is my order shipped?" || m.MessageID != in.MessageID {
		t.Fatalf("business_message = %+v", m)
	}
	if o := ups[2].BusinessMessage; o == nil || o.From.ID != conn.User.ID || o.MessageID != own.MessageID {
		t.Fatalf("owner's message = %+v", o)
	}

	// The bot answers on the account's behalf.
	reply, err := b.SendMessage(t.Context(), tu.Message(tu.ID(cust.ID), "Shipped today").WithBusinessConnectionID(conn.ID))
	if err != nil {
		t.Fatal(err)
	}
	if reply.BusinessConnectionID != conn.ID || reply.From.ID != conn.User.ID || reply.SenderBusinessBot == nil ||
		reply.SenderBusinessBot.ID != bot.User().ID || reply.Chat.ID != cust.ID {
		t.Fatalf("business reply = %+v", reply)
	}
	if sent := s.SentTo(cust.ID); len(sent) != 1 || sent[0].BusinessConnectionID != conn.ID {
		t.Fatalf("recorded = %+v", sent)
	}
	edited, err := b.EditMessageText(t.Context(), &telego.EditMessageTextParams{BusinessConnectionID: conn.ID,
		ChatID: tu.ID(cust.ID), MessageID: reply.MessageID, Text: "Shipped this morning"})
	if err != nil || edited.Text != "Shipped this morning" {
		t.Fatalf("business edit = %+v, %v", edited, err)
	}
	// Without the connection the chat is the customer's chat with the bot, which does not exist.
	if _, err := b.SendMessage(t.Context(), tu.Message(tu.ID(cust.ID), "x")); apiErr(t, err).Description != "Bad Request: chat not found" {
		t.Fatalf("send without connection: %v", err)
	}
	if err := b.SendChatAction(t.Context(), tu.ChatAction(tu.ID(cust.ID), telego.ChatActionTyping).WithBusinessConnectionID(conn.ID)); err != nil {
		t.Fatal(err)
	}
	if a := s.ChatActions(cust.ID); len(a) != 1 || a[0].BusinessConnectionID != conn.ID {
		t.Fatalf("chat actions = %+v", a)
	}

	// readBusinessMessage and getBusinessConnection.
	if err := b.ReadBusinessMessage(t.Context(), &telego.ReadBusinessMessageParams{BusinessConnectionID: conn.ID, ChatID: cust.ID, MessageID: in.MessageID}); err != nil {
		t.Fatal(err)
	}
	if r := bot.BusinessRead(conn.ID, cust.ID); !slices.Equal(r, []int{in.MessageID}) {
		t.Fatalf("read = %v", r)
	}
	info, err := b.GetBusinessConnection(t.Context(), &telego.GetBusinessConnectionParams{BusinessConnectionID: conn.ID})
	if err != nil || info.ID != conn.ID || !info.IsEnabled {
		t.Fatalf("getBusinessConnection = %+v, %v", info, err)
	}

	// Edits and deletes by the customer arrive as their own updates.
	bot.EditBusinessText(conn.ID, cust.ID, in.MessageID, "is my order shipped yet?")
	bot.DeleteBusinessMessages(conn.ID, cust.ID, in.MessageID)
	ups, err = b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: ups[2].UpdateID + 1})
	if err != nil || len(ups) != 2 {
		t.Fatalf("updates = %+v, %v", ups, err)
	}
	if e := ups[0].EditedBusinessMessage; e == nil || e.Text != "is my order shipped yet?" || e.EditDate == 0 || e.BusinessConnectionID != conn.ID {
		t.Fatalf("edited_business_message = %+v", e)
	}
	if d := ups[1].DeletedBusinessMessages; d == nil || d.BusinessConnectionID != conn.ID || d.Chat.ID != cust.ID || !slices.Equal(d.MessageIDs, []int{in.MessageID}) {
		t.Fatalf("deleted_business_messages = %+v", d)
	}

	// deleteBusinessMessages: the bot's own with can_delete_sent_messages; others need can_delete_all_messages.
	err = b.DeleteBusinessMessages(t.Context(), &telego.DeleteBusinessMessagesParams{BusinessConnectionID: conn.ID, MessageIDs: []int{own.MessageID}})
	if e := apiErr(t, err); e.ErrorCode != 403 || e.Description != "Forbidden: BOT_ACCESS_FORBIDDEN" {
		t.Fatalf("delete the owner's message without the right: %v", err)
	}
	if err := b.DeleteBusinessMessages(t.Context(), &telego.DeleteBusinessMessagesParams{BusinessConnectionID: conn.ID, MessageIDs: []int{reply.MessageID}}); err != nil {
		t.Fatalf("delete the bot's own: %v", err)
	}

	// A customer taps a button the bot sent on the account's behalf.
	rate, err := b.SendMessage(t.Context(), tu.Message(tu.ID(cust.ID), "How did we do?").WithBusinessConnectionID(conn.ID).
		WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("5").WithCallbackData("r:5")))))
	if err != nil {
		t.Fatal(err)
	}
	qid, err := s.TapBusinessButton(conn.ID, cust.ID, rate.MessageID, "r:5")
	if err != nil {
		t.Fatal(err)
	}
	ups, err = b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: ups[1].UpdateID + 1})
	if err != nil || len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v, %v", ups, err)
	}
	q := ups[0].CallbackQuery
	if q.ID != qid || q.From.ID != cust.ID || q.Message.Message().BusinessConnectionID != conn.ID || q.Data != "r:5" {
		t.Fatalf("business callback_query = %+v", q)
	}
}

func TestBusinessRightsAndDisabledConnection(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	bot := s.First()
	conn := bot.ConnectBusiness(telego.User{FirstName: "Acme"}, telego.BusinessBotRights{})
	cust := s.RegisterUser(telego.User{FirstName: "Carl"})
	in := bot.SendBusinessText(conn.ID, cust.ID, "hello")
	send := func() error {
		_, err := b.SendMessage(t.Context(), tu.Message(tu.ID(cust.ID), "hi").WithBusinessConnectionID(conn.ID))
		return err
	}
	if e := apiErr(t, send()); e.ErrorCode != 403 || e.Description != "Forbidden: BOT_ACCESS_FORBIDDEN" {
		t.Fatalf("send without can_reply: %v", e)
	}
	err := b.ReadBusinessMessage(t.Context(), &telego.ReadBusinessMessageParams{BusinessConnectionID: conn.ID, ChatID: cust.ID, MessageID: in.MessageID})
	if e := apiErr(t, err); e.ErrorCode != 403 {
		t.Fatalf("read without can_read_messages: %v", err)
	}
	bot.SetBusinessRights(conn.ID, telego.BusinessBotRights{CanReply: true})
	if err := send(); err != nil {
		t.Fatalf("send with can_reply: %v", err)
	}
	bot.DisableBusiness(conn.ID)
	if e := apiErr(t, send()); e.ErrorCode != 400 || e.Description != "Bad Request: BUSINESS_CONNECTION_INVALID" {
		t.Fatalf("send on a disabled connection: %v", e)
	}
	if info, err := b.GetBusinessConnection(t.Context(), &telego.GetBusinessConnectionParams{BusinessConnectionID: conn.ID}); err != nil || info.IsEnabled {
		t.Fatalf("disabled connection = %+v, %v", info, err)
	}
	bot.EnableBusiness(conn.ID)
	if err := send(); err != nil {
		t.Fatalf("send after re-enabling: %v", err)
	}
	bot.RemoveBusiness(conn.ID)
	if e := apiErr(t, send()); e.Description != "Bad Request: business connection not found" {
		t.Fatalf("send on a removed connection: %v", e)
	}
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var states []bool
	for _, u := range ups {
		if u.BusinessConnection != nil {
			states = append(states, u.BusinessConnection.IsEnabled)
		}
	}
	if !slices.Equal(states, []bool{true, true, false, true, false}) {
		t.Fatalf("business_connection is_enabled sequence = %v", states)
	}
}

func TestBusinessConnectionTheBotMissed(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	conn := s.ConnectBusinessQuietly(telego.User{FirstName: "Acme"}, telego.BusinessBotRights{CanReply: true})
	if s.Pending() != 0 {
		t.Fatalf("a quiet connection queued %d updates", s.Pending())
	}
	cust := s.RegisterUser(telego.User{FirstName: "Carl"})
	s.SendBusinessText(conn.ID, cust.ID, "hi")
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil || len(ups) != 1 || ups[0].BusinessMessage == nil {
		t.Fatalf("updates = %+v, %v", ups, err)
	}
	info, err := b.GetBusinessConnection(t.Context(), &telego.GetBusinessConnectionParams{BusinessConnectionID: ups[0].BusinessMessage.BusinessConnectionID})
	if err != nil || info.User.ID != conn.User.ID || !info.Rights.CanReply {
		t.Fatalf("getBusinessConnection = %+v, %v", info, err)
	}
	// The account's chats share one message_id sequence, so deleteBusinessMessages needs no chat.
	dora := s.RegisterUser(telego.User{FirstName: "Dora"})
	second := s.SendBusinessText(conn.ID, dora.ID, "me too")
	if second.MessageID == ups[0].BusinessMessage.MessageID {
		t.Fatalf("two customers' messages share message_id %d", second.MessageID)
	}
	_, err = b.GetBusinessConnection(t.Context(), &telego.GetBusinessConnectionParams{BusinessConnectionID: "nope"})
	if e := apiErr(t, err); e.Description != "Bad Request: business connection not found" {
		t.Fatalf("unknown connection: %v", err)
	}
}

func TestAllowedUpdatesCoverNewTypes(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	bot := s.First()
	ann := s.AddUser(telego.User{FirstName: "Ann"})
	conn := bot.ConnectBusiness(telego.User{FirstName: "Acme"}, telego.BusinessBotRights{CanReply: true})
	msg, _ := b.SendMessage(t.Context(), tu.Message(tu.ID(ann.ID), "rate").WithReplyMarkup(
		tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("5").WithCallbackData("5")))))
	ups, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{AllowedUpdates: []string{"callback_query"}})
	if err != nil || len(ups) != 1 || ups[0].BusinessConnection == nil {
		t.Fatalf("updates before the filter applies = %+v, %v", ups, err)
	}
	bot.SendBusinessText(conn.ID, ann.ID, "filtered out")
	s.React(ann.ID, msg.MessageID, ann.ID, "👍")
	if _, err := s.TapButton(ann.ID, msg.MessageID, ann.ID, "5"); err != nil {
		t.Fatal(err)
	}
	ups, err = b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: ups[0].UpdateID + 1})
	if err != nil || len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("with allowed_updates [callback_query] = %+v, %v", ups, err)
	}

	// setWebhook's allowed_updates filters the same way.
	var mu sync.Mutex
	var kinds []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var u map[string]json.RawMessage
		_ = json.Unmarshal(body, &u)
		mu.Lock()
		defer mu.Unlock()
		for k := range u {
			if k != "update_id" {
				kinds = append(kinds, k)
			}
		}
	}))
	defer hook.Close()
	err = b.SetWebhook(t.Context(), &telego.SetWebhookParams{URL: hook.URL, DropPendingUpdates: true,
		AllowedUpdates: []string{"business_message", "edited_business_message", "deleted_business_messages", "message_reaction"}})
	if err != nil {
		t.Fatal(err)
	}
	s.SendText(ann.ID, "filtered out")
	in := bot.SendBusinessText(conn.ID, ann.ID, "kept")
	bot.DeleteBusinessMessages(conn.ID, ann.ID, in.MessageID)
	s.React(ann.ID, msg.MessageID, ann.ID, "🔥")
	testwait.For(t, "the webhook receives three updates", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(kinds) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(kinds, []string{"business_message", "deleted_business_messages", "message_reaction"}) {
		t.Fatalf("webhook got %v", kinds)
	}
}
