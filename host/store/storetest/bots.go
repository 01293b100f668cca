package storetest

import (
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// botInbound is an update of bot (and business connection) in chat.
func botInbound(e *env, bot, conn string, update, chat int64, msgs ...sdk.Message) store.Inbound {
	in := inbound(e, update, chat, msgs...)
	in.Bot, in.BusinessConnectionID = bot, conn
	return in
}

// testBotsKeyConversations: chat ids and update ids are per bot, and a
// Business connection makes a chat of its own. The same chat id writing
// to two bots (and through a business connection) has three
// conversations; the same update id of two bots is two updates; each
// bot's offset counts its own updates; replies and claims carry the bot.
func testBotsKeyConversations(t *testing.T, e *env) {
	commit := func(in store.Inbound) store.CommitResult {
		t.Helper()
		res, err := e.s.CommitInbound(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := commit(botInbound(e, "", "", 10, 7, text("m1", "to the default bot")))
	b := commit(botInbound(e, "shop", "", 10, 7, text("m2", "to the shop bot")))
	c := commit(botInbound(e, "shop", "conn-1", 11, 7, text("m3", "to a business account")))
	if !a.Created || !b.Created || !c.Created || b.Duplicate {
		t.Fatalf("want three new conversations, got %+v / %+v / %+v", a, b, c)
	}
	if a.Conversation.Bot != store.DefaultBot || b.Conversation.Bot != "shop" || c.Conversation.BusinessConnectionID != "conn-1" {
		t.Errorf("conversation keys: %+v / %+v / %+v", a.Conversation.Key(), b.Conversation.Key(), c.Conversation.Key())
	}
	if a.Conversation.ID == b.Conversation.ID || b.Conversation.ID == c.Conversation.ID {
		t.Fatal("two bots' chats share a conversation")
	}
	// The next message of each goes to its own conversation.
	if r := commit(botInbound(e, "shop", "", 12, 7, text("m4", "again"))); r.Created || r.Conversation.ID != b.Conversation.ID {
		t.Errorf("shop's second message: %+v, want conversation %s", r, b.Conversation.ID)
	}
	if r := commit(botInbound(e, "shop", "", 12, 7, text("m4", "again"))); !r.Duplicate {
		t.Errorf("shop's update 12 again was not a duplicate: %+v", r)
	}
	for bot, want := range map[string]int64{"": 11, store.DefaultBot: 11, "shop": 13, "other": 0} {
		if off, err := e.s.TelegramOffset(e.ctx, bot); err != nil || off != want {
			t.Errorf("offset of bot %q: %d, %v; want %d", bot, off, err, want)
		}
	}
	for _, want := range []store.Conversation{a.Conversation, b.Conversation, c.Conversation} {
		got, err := e.s.ConversationByKey(e.ctx, want.Key())
		if err != nil || got.ID != want.ID {
			t.Errorf("ConversationByKey(%+v): %s, %v; want %s", want.Key(), got.ID, err, want.ID)
		}
	}
	if got, err := e.s.ConversationByChat(e.ctx, 7); err != nil || got.ID != a.Conversation.ID {
		t.Errorf("ConversationByChat(7): %s, %v; want the default bot's %s", got.ID, err, a.Conversation.ID)
	}
	// Deliveries carry the conversation's bot, and it reaches desks.
	bots := map[string]string{}
	for _, d := range e.claim("w", 10, e.at(time.Hour)) {
		bots[d.Message.ID] = d.Conversation.SDK().Bot
	}
	if bots["m1"] != store.DefaultBot || bots["m2"] != "shop" || bots["m3"] != "shop" {
		t.Errorf("bots of the claimed deliveries: %v", bots)
	}
	// A reply to the shop conversation is claimed with its bot, so it
	// leaves through it.
	if _, err := e.s.CommitReplies(e.ctx, "slack", []sdk.Reply{{ConversationID: b.Conversation.ID, ExternalID: "r1", Text: "hi"}}); err != nil {
		t.Fatal(err)
	}
	rs := e.claimReplies("w", 10, later())
	if len(rs) != 1 || rs[0].Conversation.Bot != "shop" || rs[0].Conversation.ChatID != 7 {
		t.Errorf("claimed replies: %+v", rs)
	}
}

// testBotsBatch: a batch mixing bots commits each update under its bot's
// key, and a closed conversation of one bot does not stand in for
// another's.
func testBotsBatch(t *testing.T, e *env) {
	b := batcher(t, e)
	res, err := b.CommitInbounds(e.ctx, []store.Inbound{
		botInbound(e, "a", "", 1, 5, text("m1", "a")),
		botInbound(e, "b", "", 1, 5, text("m2", "b")),
		botInbound(e, "a", "", 2, 5, text("m3", "a again")),
		botInbound(e, "b", "", 1, 5, text("m2", "b")), // a duplicate within the batch
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Created || !res[1].Created || res[2].Created || !res[3].Duplicate {
		t.Fatalf("results: %+v", res)
	}
	if res[0].Conversation.ID != res[2].Conversation.ID || res[0].Conversation.ID == res[1].Conversation.ID {
		t.Errorf("conversations: %s %s %s", res[0].Conversation.ID, res[1].Conversation.ID, res[2].Conversation.ID)
	}
	if res[1].Conversation.Bot != "b" || res[3].Conversation.ID != res[1].Conversation.ID {
		t.Errorf("bot b's conversation: %+v, duplicate's %+v", res[1].Conversation, res[3].Conversation)
	}
	// Bot a's conversation closes; bot b's stays open and takes the next.
	if _, err := e.s.CloseConversation(e.ctx, res[0].Conversation.ID, store.Closing{By: "an operator", Reason: sdk.CloseByOperator, Time: e.now}); err != nil {
		t.Fatal(err)
	}
	next, err := b.CommitInbounds(e.ctx, []store.Inbound{
		botInbound(e, "b", "", 2, 5, text("m4", "b again")),
		botInbound(e, "a", "", 3, 5, text("m5", "a after the close")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if next[0].Created || next[0].Conversation.ID != res[1].Conversation.ID {
		t.Errorf("bot b's message after a's close: %+v", next[0])
	}
	if !next[1].Created || next[1].Conversation.PreviousID != res[0].Conversation.ID || next[1].Conversation.Bot != "a" {
		t.Errorf("bot a's message after its close: %+v", next[1])
	}
}
