package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// sentWithText is what the fake Telegram got with text, in order.
func sentWithText(bot *telegramtest.Bot, text string) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range bot.Sent() {
		if s.Text == text {
			out = append(out, s)
		}
	}
	return out
}

// waitMetric waits for the host's /metrics to hold line.
func (e *env) waitMetric(line string) {
	e.t.Helper()
	if !waitUntil(30*time.Second, func() bool {
		code, body := adminGet(e.t, e.admin, "/metrics", "", "")
		return code == http.StatusOK && strings.Contains(body, line)
	}) {
		e.t.Fatalf("metrics never showed %s\n%s", line, e.Logs())
	}
}

// A Business account's customer writes to the account: the desk gets a
// conversation of its own (not the customer's chat with the bot) naming
// the account; the owner's own message from the Telegram app reaches the
// desk as a notice; the agent's reply leaves through the connection and
// marks the customer's message read; a message the customer deletes is
// told to the desk with its first words.
func TestBusinessConversation(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	bot := e.tg.First()
	conn := bot.ConnectBusiness(telego.User{FirstName: "Sam", LastName: "Shop", Username: "samshop"},
		telego.BusinessBotRights{CanReply: true, CanReadMessages: true})
	cara := bot.AddUser(telego.User{FirstName: "Cara", LastName: "Diaz", Username: "cara"})

	bot.SendText(cara.ID, "hello bot")
	asked := bot.SendBusinessText(conn.ID, cara.ID, "Is my order ready? It is number 12")
	if !e.desk.WaitCount(2, 30*time.Second) {
		t.Fatalf("the desk got %d deliveries, want 2\n%s", len(e.desk.Received()), e.Logs())
	}
	var direct, biz webhookdesk.Delivery
	for _, d := range e.desk.Received() {
		if d.Business != nil {
			biz = d
		} else {
			direct = d
		}
	}
	if biz.Business == nil || biz.Message.Text != "Is my order ready? It is number 12" {
		t.Fatalf("no Business delivery: %+v", e.desk.Received())
	}
	if b := biz.Business; b.ConnectionID != conn.ID || b.Account.Name != "Sam Shop" || b.Account.Username != "samshop" || b.Account.ID != conn.User.ID {
		t.Errorf("business object %+v, want connection %s of Sam Shop (@samshop, %d)", b, conn.ID, conn.User.ID)
	}
	if biz.Contact.TelegramUserID != cara.ID || biz.Contact.FirstName != "Cara" {
		t.Errorf("Business contact %+v, want Cara", biz.Contact)
	}
	if direct.ConversationID == "" || direct.ConversationID == biz.ConversationID || direct.Message.Text != "hello bot" {
		t.Errorf("the customer's chat with the bot and with the account share a conversation: %+v / %+v", direct, biz)
	}
	e.waitMetric(`parley_business_connections_total{event="connected"} 1`)

	bot.SendBusinessOwnerText(conn.ID, cara.ID, "Let me check, Cara")
	owner := e.waitNoticeCode("owner_message", 1)
	if owner.ConversationID != biz.ConversationID || owner.Message.Notice.AgentName() != "Sam Shop" ||
		owner.Message.Text != "Sam Shop replied from the Telegram app: Let me check, Cara" {
		t.Errorf("owner notice %+v in %s: %q", owner.Message.Notice, owner.ConversationID, owner.Message.Text)
	}
	if owner.Business == nil || owner.Business.ConnectionID != conn.ID {
		t.Errorf("the owner notice's delivery names no Business account: %+v", owner.Business)
	}

	if status, body := e.reply(webhookdesk.Reply{ConversationID: biz.ConversationID, ID: "agent-1", Text: "Yes, it ships today"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	if !waitUntil(30*time.Second, func() bool { return len(sentWithText(bot, "Yes, it ships today")) == 1 }) {
		t.Fatalf("the reply never reached Telegram: %+v\n%s", bot.Sent(), e.Logs())
	}
	if s := sentWithText(bot, "Yes, it ships today")[0]; s.BusinessConnectionID != conn.ID || s.ChatID != cara.ID {
		t.Errorf("reply sent to chat %d through %q, want chat %d through %s", s.ChatID, s.BusinessConnectionID, cara.ID, conn.ID)
	}
	// The customer's question (the owner's message is not theirs) is read.
	if !waitUntil(30*time.Second, func() bool { return slices.Contains(bot.BusinessRead(conn.ID, cara.ID), asked.MessageID) }) {
		t.Fatalf("readBusinessMessage never marked message %d read: %v\n%s", asked.MessageID, bot.BusinessRead(conn.ID, cara.ID), e.Logs())
	}

	bot.DeleteBusinessMessages(conn.ID, cara.ID, asked.MessageID)
	del := e.waitNoticeCode("message_deleted", 1)
	if del.ConversationID != biz.ConversationID || !strings.HasSuffix(del.Message.Notice.MessageID, ":"+itoa(int64(asked.MessageID))) ||
		del.Message.Text != "The customer deleted a message: Is my order ready? It is number 12" {
		t.Errorf("deleted notice %+v: %q", del.Message.Notice, del.Message.Text)
	}

	// parley status lists the connection.
	if out, code := e.parley(t, "status"); code != 0 || !strings.Contains(out, "Sam Shop (@samshop)") || !strings.Contains(out, conn.ID) {
		t.Errorf("parley status: exit %d\n%s", code, out)
	}
}

// A reply through a connection the owner disabled fails for good before
// reaching Telegram, and every desk is told why; a business message for
// a connection the host never heard of is kept, its account fetched.
func TestBusinessDisabledConnection(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	bot := e.tg.First()
	conn := bot.ConnectBusinessQuietly(telego.User{FirstName: "Sam", Username: "samshop"}, telego.BusinessBotRights{CanReply: true})
	cara := bot.AddUser(telego.User{FirstName: "Cara"})
	bot.SendBusinessText(conn.ID, cara.ID, "hello shop")
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("the desk got nothing\n%s", e.Logs())
	}
	first := e.desk.Received()[0]
	if first.Business == nil || first.Business.ConnectionID != conn.ID || first.Business.Account.Name != "Sam" {
		t.Fatalf("a connection the host missed: business %+v, want it fetched (Sam)", first.Business)
	}

	bot.DisableBusiness(conn.ID)
	e.waitMetric(`parley_business_connections_total{event="disconnected"} 1`)
	if status, body := e.reply(webhookdesk.Reply{ConversationID: first.ConversationID, ID: "agent-1", Text: "we are on it"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	n := e.waitNoticeCode("business_connection", 1)
	if n.ConversationID != first.ConversationID || n.Message.Notice.ReplyID != "agent-1" ||
		!strings.Contains(n.Message.Text, "Telegram Business connection of Sam is disabled") {
		t.Errorf("notice %+v: %q", n.Message.Notice, n.Message.Text)
	}
	// The reply failed before any call: nothing went out.
	if s := sentWithText(bot, "we are on it"); len(s) != 0 {
		t.Errorf("a reply through a disabled connection reached Telegram: %+v", s)
	}

	// Enabled again but without the right to reply: the same, for that reason.
	bot.SetBusinessRights(conn.ID, telego.BusinessBotRights{CanReadMessages: true})
	bot.EnableBusiness(conn.ID)
	// Counted twice: once when fetched, once enabled again.
	e.waitMetric(`parley_business_connections_total{event="connected"} 2`)
	if status, body := e.reply(webhookdesk.Reply{ConversationID: first.ConversationID, ID: "agent-2", Text: "still on it"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	n = e.waitNoticeCode("business_connection", 2)
	if n.Message.Notice.ReplyID != "agent-2" || !strings.Contains(n.Message.Text, "does not allow the bot to reply") {
		t.Errorf("notice %+v: %q", n.Message.Notice, n.Message.Text)
	}
}
