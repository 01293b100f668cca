package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// parley forget, run beside a running host, erases a customer's messages
// and contact from the store and tells the desk; running it again changes
// nothing and says so. parley check names the retention in force.
func TestForgetCommand(t *testing.T) {
	e := newEnv(t, "[retention]\nmessages = \"90d\"\n")
	out, code := e.parley(t, "check")
	if code != 0 || !strings.Contains(out, "retention: delivered messages") || !strings.Contains(out, "90 days") {
		t.Fatalf("check does not name the retention (exit %d):\n%s", code, out)
	}
	if out, code = e.parley(t, "forget"); code != 2 || !strings.Contains(out, "--telegram-user ID") {
		t.Fatalf("forget without a user (exit %d):\n%s", code, out)
	}

	e.start()
	u := e.tg.AddUser(telego.User{FirstName: "Erin", LastName: "Private", Username: "erin_p", LanguageCode: "de"})
	other := e.tg.AddUser(telego.User{FirstName: "Olaf"})
	e.tg.SendText(u.ID, "my address is 1 Main St")
	e.tg.SendText(other.ID, "keep me")
	if !e.desk.WaitCount(2, 20*time.Second) {
		t.Fatalf("messages never reached the desk\n%s", tail(e.Logs(), 20))
	}
	id := strconv.FormatInt(u.ID, 10)
	out, code = e.parley(t, "forget", "--telegram-user", id)
	if code != 0 || !strings.Contains(out, "forgot Telegram user "+id) || !strings.Contains(out, "deleted 1 messages") || !strings.Contains(out, "[desk]") {
		t.Fatalf("forget (exit %d):\n%s", code, out)
	}
	isNotice := func(d webhookdesk.Delivery) bool {
		return d.Message.Kind == "notice" && strings.Contains(d.Message.Text, "deleted from Parley at the operator's request")
	}
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return len(ds) == 3 && isNotice(ds[2]) }) {
		t.Fatalf("the desk was not told: %+v\n%s", e.desk.Received(), tail(e.Logs(), 20))
	}
	if n := e.desk.Received()[2]; n.Contact.FirstName != "" || n.Contact.Username != "" || n.Contact.LanguageCode != "" {
		t.Errorf("the notice still carries the contact %+v", n.Contact)
	}
	out, code = e.parley(t, "outbox", "--all")
	if code != 0 || strings.Contains(out, "tg:"+id+":") || !strings.Contains(out, "nf_") || !strings.Contains(out, "tg:"+strconv.FormatInt(other.ID, 10)+":") {
		t.Fatalf("the store still lists the forgotten message, or lost the other user's (exit %d):\n%s", code, out)
	}

	out, code = e.parley(t, "forget", "--telegram-user", id)
	if code != 0 || !strings.Contains(out, "already forgotten") {
		t.Fatalf("second forget (exit %d):\n%s", code, out)
	}
	// The user writes again: that message arrives after anything the
	// second run might have queued, so one notice in all proves it queued
	// none.
	e.tg.SendText(u.ID, "hello again")
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
		return len(ds) > 0 && ds[len(ds)-1].Message.Text == "hello again"
	}) {
		t.Fatalf("the next message never arrived\n%s", tail(e.Logs(), 20))
	}
	notices := 0
	for _, d := range e.desk.Received() {
		if isNotice(d) {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("the desk got %d erasure notices, want 1: %+v", notices, e.desk.Received())
	}
	if out, code = e.parley(t, "forget", "--telegram-user", "999999"); code != 0 || !strings.Contains(out, "no conversation") {
		t.Errorf("forget of a stranger (exit %d):\n%s", code, out)
	}
}
