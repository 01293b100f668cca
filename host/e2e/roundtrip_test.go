package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// A user's text reaches the desk with who wrote it, and the agent's answer
// reaches the user from the bot — through the real host, plugin process and
// store.
func TestRoundTrip(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee", LanguageCode: "de"})

	e.tg.SendText(ann.ID, "/start promo-7")
	if _, err := e.tg.WaitSent(1, 15*time.Second); err != nil {
		t.Fatalf("no welcome message: %v\n%s", err, e.Logs())
	}
	if got := e.tg.SentTo(ann.ID)[0].Text; got != "Welcome to support!" {
		t.Fatalf("welcome = %q", got)
	}

	e.tg.SendText(ann.ID, "Hello, my order is late")
	if !e.desk.WaitCount(1, 15*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	got := e.desk.Received()[0]
	if got.Message.Text != "Hello, my order is late" || got.Message.Kind != "text" {
		t.Fatalf("desk got message %+v", got.Message)
	}
	if got.Contact.FirstName != "Ann" || got.Contact.Username != "annlee" || got.Contact.LanguageCode != "de" || got.Contact.TelegramUserID != ann.ID {
		t.Fatalf("desk got contact %+v", got.Contact)
	}
	if got.ConversationID == "" {
		t.Fatal("no conversation id")
	}

	status, body := e.reply(webhookdesk.Reply{ConversationID: got.ConversationID, ID: "agent-1", Text: "Sorry! <b>Fixed</b> & shipped 🚚"})
	if status != http.StatusOK {
		t.Fatalf("reply status %d: %s", status, body)
	}
	sent, err := e.tg.WaitSent(2, 15*time.Second)
	if err != nil {
		t.Fatalf("reply did not reach Telegram: %v\n%s", err, e.Logs())
	}
	last := sent[len(sent)-1]
	if last.ChatID != ann.ID || last.Message.Text != "Sorry! <b>Fixed</b> & shipped 🚚" {
		t.Fatalf("Telegram got %q (parse_mode %q) in chat %d", last.Message.Text, last.ParseMode, last.ChatID)
	}
	if strings.Contains(e.Logs(), e.tg.Token()) {
		t.Fatal("the bot token appears in the log")
	}
}
