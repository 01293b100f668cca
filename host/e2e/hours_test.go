package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// Business hours end to end. The real clock decides, so the hours are
// chosen around it in UTC: "open" is every day all day; "closed" is the
// same with yesterday, today and tomorrow closed, so a test running over
// midnight still finds the bot closed, and the next opening is the day
// after tomorrow at 00:00.

const hoursOpenTOML = `
[telegram.hours]
timezone = "UTC"
weekly = ["mon-sun 00:00-24:00"]
`

func hoursClosedTOML() string {
	now := time.Now().UTC()
	var days []string
	for d := -1; d <= 1; d++ {
		days = append(days, fmt.Sprintf("%q", now.AddDate(0, 0, d).Format(time.DateOnly)))
	}
	return fmt.Sprintf(`
[telegram.hours]
timezone = "UTC"
weekly = ["mon-sun 00:00-24:00"]
closed_on = [%s]
away_message = "We're away and back {next_open}."
away_message_de = "Wir sind {next_open} wieder da."
away_every = "12h"
`, strings.Join(days, ", "))
}

// nextOpenEnglish is {next_open} of hoursClosedTOML in English.
func nextOpenEnglish() string {
	d := time.Now().UTC().AddDate(0, 0, 2)
	return fmt.Sprintf("%s, %d %s at 00:00", d.Weekday(), d.Day(), d.Month())
}

// deskMessage waits for the desk's n-th delivery (1-based) of a customer
// message with text.
func (e *env) deskMessage(t *testing.T, text string) webhookdesk.Delivery {
	t.Helper()
	var got webhookdesk.Delivery
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
		for _, d := range ds {
			if d.Message.Text == text {
				got = d
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the desk did not receive %q\n%s", text, e.Logs())
	}
	return got
}

// sentTexts waits until chat was sent n messages and returns their texts.
func (e *env) sentTexts(t *testing.T, chat int64, n int) []string {
	t.Helper()
	var texts []string
	if !waitUntil(20*time.Second, func() bool {
		texts = texts[:0]
		for _, s := range e.tg.SentTo(chat) {
			texts = append(texts, s.Text)
		}
		return len(texts) >= n
	}) {
		t.Fatalf("chat %d was sent %q, want %d messages\n%s", chat, texts, n, e.Logs())
	}
	return slices.Clone(texts)
}

func (e *env) agentReply(t *testing.T, conv, id, text string) {
	t.Helper()
	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: id, Text: text}); status != http.StatusOK {
		t.Fatalf("reply %s: %d %s", id, status, body)
	}
}

// Inside business hours the desk gets the message unmarked and the
// customer no away message: the agent's answer is the first thing they see.
func TestHoursOpen(t *testing.T) {
	e := newEnv(t, hoursOpenTOML)
	e.start()
	bob := e.tg.AddUser(telego.User{FirstName: "Bob", LanguageCode: "en"})

	e.tg.SendText(bob.ID, "Hi, are you there?")
	d := e.deskMessage(t, "Hi, are you there?")
	if d.Message.OutsideHours {
		t.Error("a message inside business hours reached the desk marked outside_hours")
	}
	e.agentReply(t, d.ConversationID, "agent-1", "Yes, how can I help?")
	if got := e.sentTexts(t, bob.ID, 1); !slices.Equal(got, []string{"Yes, how can I help?"}) {
		t.Errorf("Bob was sent %q, want only the agent's answer", got)
	}
}

// Outside business hours the desk gets the messages marked outside_hours
// and the customer one away message, in their language, with the next
// opening; a second message within away_every brings no second one (the
// agent's answer, queued behind it, arrives right after the first).
func TestHoursClosed(t *testing.T) {
	e := newEnv(t, hoursClosedTOML())
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "de"})
	bob := e.tg.AddUser(telego.User{FirstName: "Bob", LanguageCode: "en-GB"})

	e.tg.SendText(ann.ID, "Hallo?")
	d := e.deskMessage(t, "Hallo?")
	if !d.Message.OutsideHours {
		t.Errorf("the desk got %+v, not marked outside_hours", d.Message)
	}
	away := e.sentTexts(t, ann.ID, 1)[0]
	if !strings.HasPrefix(away, "Wir sind ") || !strings.HasSuffix(away, " um 00:00 Uhr wieder da.") || strings.Contains(away, "{next_open}") {
		t.Errorf("Ann's away message = %q, want the German one with the next opening", away)
	}

	e.tg.SendText(ann.ID, "Noch jemand da?")
	if d2 := e.deskMessage(t, "Noch jemand da?"); !d2.Message.OutsideHours {
		t.Error("the second message is not marked outside_hours")
	}
	e.agentReply(t, d.ConversationID, "agent-1", "Ja, ich bin da.")
	if got := e.sentTexts(t, ann.ID, 2); !slices.Equal(got, []string{away, "Ja, ich bin da."}) {
		t.Errorf("Ann was sent %q, want one away message, then the agent's answer", got)
	}

	e.tg.SendText(bob.ID, "Hello?")
	e.deskMessage(t, "Hello?")
	want := "We're away and back " + nextOpenEnglish() + "."
	if got := e.sentTexts(t, bob.ID, 1); got[0] != want {
		t.Errorf("Bob's away message = %q, want %q", got[0], want)
	}
}

// No away message while an agent talks to the customer: an agent answered
// (inside hours) less than 15 minutes ago, the host restarted with the
// business closed, and the customer's next message brings none: the
// agent's next answer follows the first directly. The throttle is in the
// store, so the restart keeps it.
func TestHoursNoAwayAfterAgentReply(t *testing.T) {
	e := newEnv(t, hoursOpenTOML)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	e.tg.SendText(ann.ID, "My parcel is late")
	d := e.deskMessage(t, "My parcel is late")
	e.agentReply(t, d.ConversationID, "agent-1", "Let me check.")
	e.sentTexts(t, ann.ID, 1)
	e.stop()

	e.extraTOML = hoursClosedTOML()
	e.writeConfig()
	e.start()
	e.tg.SendText(ann.ID, "Any news?")
	if d2 := e.deskMessage(t, "Any news?"); !d2.Message.OutsideHours {
		t.Error("the message after closing time is not marked outside_hours")
	}
	e.agentReply(t, d.ConversationID, "agent-2", "It ships today.")
	if got := e.sentTexts(t, ann.ID, 2); !slices.Equal(got, []string{"Let me check.", "It ships today."}) {
		t.Errorf("Ann was sent %q, want the two answers and no away message", got)
	}
}
