package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// Slack through bin/parley: an agent's ✅ on the header closes the
// conversation, the header says who closed it, the customer taps 4 on the
// rating keyboard and the thread shows 4/5; the customer's next message
// opens a new header linking the closed thread, which an agent claims
// with the header's button.
func TestSlackCloseByReactionRatingAndNextHeader(t *testing.T) {
	e, fake := newSlackEnv(t, false)
	e.extraTOML = `
[conversations]
reopen_within = "0s"

[conversations.rating]
enabled = true
`
	e.writeConfig()
	e.start()
	grace := slackfake.User{ID: "U0GRACE", Name: "grace", RealName: "Grace Hopper"}
	fake.AddUser(grace)
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee"})
	ctx := slackCtx(t)

	e.tg.SendText(ann.ID, "My parcel is lost")
	root1 := waitRoot(t, e, fake, 1, "My parcel is lost")
	if d, err := fake.AgentReact(ctx, slackfake.ChannelID, root1.TS, grace.ID, "white_check_mark"); err != nil || !d.OK() {
		t.Fatalf("✅ on the header: %v %+v\n%s", err, d.Attempts, e.Logs())
	}
	waitHeader(t, e, fake, root1.TS, "Closed by Grace Hopper")
	// The close was made here: the only ✅ is Grace's.
	if rs := fake.Reactions(slackfake.ChannelID, root1.TS); len(rs) != 1 || strings.Join(rs[0].Users, ",") != grace.ID {
		t.Errorf("header reactions %+v, want Grace's ✅ only", rs)
	}

	// The rating keyboard: five buttons, 1 to 5 in reading order.
	var question telegramtest.Sent
	var buttons []telego.InlineKeyboardButton
	ok := fake.WaitFor(30*time.Second, func() bool {
		for _, s := range e.tg.SentTo(ann.ID) {
			var markup telego.InlineKeyboardMarkup
			if len(s.ReplyMarkup) == 0 || json.Unmarshal(s.ReplyMarkup, &markup) != nil {
				continue
			}
			buttons = nil
			for _, row := range markup.InlineKeyboard {
				buttons = append(buttons, row...)
			}
			if len(buttons) == 5 {
				question = s
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no rating keyboard reached the customer; sent %+v\n%s", e.tg.SentTo(ann.ID), e.Logs())
	}
	if _, err := e.tg.TapButton(ann.ID, question.Message.MessageID, ann.ID, buttons[3].CallbackData); err != nil {
		t.Fatal(err)
	}
	waitRoot(t, e, fake, 1, "4/5")

	// The next message is a new conversation: a new header and thread,
	// linking the closed one.
	e.tg.SendText(ann.ID, "Another question")
	root2 := waitRoot(t, e, fake, 2, "Another question")
	if root2.TS == root1.TS {
		t.Fatal("the next conversation went into the closed thread")
	}
	permalink := "https://acme.slack.com/archives/" + slackfake.ChannelID + "/p" + strings.Replace(root1.TS, ".", "", 1)
	if !strings.Contains(root2.Blocks, permalink) {
		t.Errorf("new header does not link the closed thread %s:\n%s", permalink, root2.Blocks)
	}
	for _, m := range fake.Thread(slackfake.ChannelID, root1.TS) {
		if strings.Contains(m.Text, "Another question") {
			t.Error("the next message also went into the closed thread")
		}
	}

	// Claimed with the header's button.
	if d, err := fake.AgentClick(ctx, slackfake.ChannelID, root2.TS, grace.ID, "parley_claim"); err != nil || !d.OK() {
		t.Fatalf("Claim button: %v %+v\n%s", err, d.Attempts, e.Logs())
	}
	waitHeader(t, e, fake, root2.TS, "Claimed by Grace Hopper")
	assertNoSecrets(t, e, slackfake.BotToken, slackfake.SigningSecret)
}

// waitHeader waits until the thread parent ts shows text.
func waitHeader(t *testing.T, e *env, fake *slackfake.Fake, ts, text string) {
	t.Helper()
	ok := fake.WaitFor(30*time.Second, func() bool {
		for _, m := range fake.Roots(slackfake.ChannelID) {
			if m.TS == ts && strings.Contains(m.Blocks, text) {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("the header %s never showed %q; roots %+v\n%s", ts, text, fake.Roots(slackfake.ChannelID), e.Logs())
	}
}

// Socket Mode through bin/parley: a claim by reaction and a close by the
// header's button reach the host through Host.PostAction, and the header
// follows.
func TestSlackSocketModeClaimByReactionCloseByButton(t *testing.T) {
	e, fake := newSlackEnv(t, true)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", Username: "annlee"})
	ctx := slackCtx(t)

	e.tg.SendText(ann.ID, "Hello over the socket")
	root := waitRoot(t, e, fake, 1, "Hello over the socket")
	if _, err := fake.AgentReact(ctx, slackfake.ChannelID, root.TS, slackfake.AgentUserID, "eyes"); err != nil {
		t.Fatal(err)
	}
	waitHeader(t, e, fake, root.TS, "Claimed by Alice")
	if _, err := fake.AgentClick(ctx, slackfake.ChannelID, root.TS, slackfake.AgentUserID, "parley_close"); err != nil {
		t.Fatal(err)
	}
	waitHeader(t, e, fake, root.TS, "Closed by Alice")
	if !fake.WaitFor(10*time.Second, func() bool { return len(fake.Unacked()) == 0 }) {
		t.Errorf("envelopes left unacknowledged: %v", fake.Unacked())
	}
}
