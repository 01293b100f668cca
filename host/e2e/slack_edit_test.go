package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// A user's edit changes their message where it sits in the Slack thread
// (chat.update), instead of adding a copy below it; the message_changed
// Slack sends for the bot's own edit reaches nobody.
func TestSlackUserEditUpdatesTheOriginal(t *testing.T) {
	e, fake := newSlackEnv(t, false)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", Username: "annlee"})

	orig := e.tg.SendText(ann.ID, "My order number is 1234")
	root := waitRoot(t, e, fake, 1, "My order number is 1234")
	thread := fake.Thread(slackfake.ChannelID, root.TS)
	if len(thread) != 1 {
		t.Fatalf("%d messages in the thread before the edit, want 1", len(thread))
	}
	first := thread[0]

	edited := orig
	edited.Text = "My order number is 1243"
	edited.EditDate = time.Now().Unix()
	e.tg.PushEdit(edited)

	var got []slackfake.Message
	if !fake.WaitFor(30*time.Second, func() bool {
		got = fake.Thread(slackfake.ChannelID, root.TS)
		for _, m := range got {
			if strings.Contains(m.Text, "1243") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the edit never reached Slack; thread %+v\n%s", got, e.Logs())
	}
	// Sentinels instead of a wait: Ann's next message goes to the thread after
	// any wrongly posted copy of her edit, and an agent's reply reaches her
	// after any relayed echo of the bot's edit.
	const later = "sentinel from Ann"
	e.tg.SendText(ann.ID, later)
	if !fake.WaitFor(30*time.Second, func() bool {
		got = fake.Thread(slackfake.ChannelID, root.TS)
		return len(got) > 0 && got[len(got)-1].Text == later
	}) {
		t.Fatalf("Ann's sentinel never reached Slack; thread %+v\n%s", got, e.Logs())
	}
	got = got[:len(got)-1]
	if len(got) != 1 {
		for _, m := range got {
			t.Logf("thread message %s: %q", m.TS, m.Text)
		}
		t.Fatalf("%d messages in the thread after the edit, want the original alone", len(got))
	}
	m := got[0]
	if m.TS != first.TS || !m.Edited || m.Text != "My order number is 1243 _(edited)_" || m.Username != "Ann" {
		t.Errorf("thread message %s %q by %q (edited %v), want %s updated to the new text, still under Ann's name",
			m.TS, m.Text, m.Username, m.Edited, first.TS)
	}
	if n := len(fake.Calls("chat.update")); n != 1 {
		t.Errorf("%d chat.update calls, want 1", n)
	}
	slackSentinel(t, e, fake, root.TS, ann.ID, "sentinel for Ann")
	if sent := e.tg.SentTo(ann.ID); len(sent) != 1 {
		t.Errorf("Ann got %d messages besides the sentinel: Slack's message_changed for the bot's edit was relayed", len(sent)-1)
	}
}
