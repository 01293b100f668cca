package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/internal/testwait"
)

// A storm of 429s from Telegram delays replies but loses none, and a user
// who blocked the bot turns into a notice in the desk instead of retries.
func TestTelegramFaults(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	bob := e.tg.AddUser(telego.User{FirstName: "Bob"})
	e.tg.SendText(ann.ID, "hi")
	e.tg.SendText(bob.ID, "hi")
	if !e.desk.WaitCount(2, 15*time.Second) {
		t.Fatalf("no delivery\n%s", e.Logs())
	}
	conv := map[int64]string{}
	for _, d := range e.desk.Received() {
		conv[d.Contact.TelegramUserID] = d.ConversationID
	}

	e.tg.TooManyRequests("sendMessage", 6, 1)
	for i := 0; i < 8; i++ {
		if status, body := e.reply(webhookdesk.Reply{ConversationID: conv[ann.ID], ID: fmt.Sprintf("a%d", i), Text: fmt.Sprintf("answer %d", i)}); status != 200 {
			t.Fatalf("reply: %d %s", status, body)
		}
	}
	if !testwait.Poll(60*time.Second, func() bool { return len(e.tg.SentTo(ann.ID)) >= 8 }) {
		t.Fatalf("only %d of 8 replies arrived through the 429 storm\n%s", len(e.tg.SentTo(ann.ID)), tail(e.Logs(), 30))
	}
	for i, s := range e.tg.SentTo(ann.ID) {
		if want := fmt.Sprintf("answer %d", i); s.Message.Text != want {
			t.Fatalf("reply %d arrived as %q, want %q (order lost)", i, s.Message.Text, want)
		}
	}
	if e.tg.Served429() < 1 {
		t.Fatal("the fake served no 429: the storm was not exercised")
	}

	e.tg.Block(bob.ID)
	if status, _ := e.reply(webhookdesk.Reply{ConversationID: conv[bob.ID], ID: "b1", Text: "are you there?"}); status != 200 {
		t.Fatalf("reply to blocked user not accepted: %d", status)
	}
	ok := e.desk.WaitFor(30*time.Second, func(r []webhookdesk.Delivery) bool {
		for _, d := range r {
			if d.ConversationID == conv[bob.ID] && d.Message.Kind == "notice" && strings.Contains(d.Message.Text, "blocked") {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("desk got no 'user blocked' notice\n%s", tail(e.Logs(), 30))
	}
}
