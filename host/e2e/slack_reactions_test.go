package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// Slack through bin/parley, the Slack plugin and both fakes: the
// customer's photo is the poster's icon (a signed host link, not
// Telegram's URL); a customer's reaction on an agent's answer shows as the
// same reaction on the agent's post, and goes away when taken back; an
// agent's reaction on the customer's post is set on the Telegram message
// and removed with it; an agent deleting their answer in Slack deletes it
// in Telegram.
func TestSlackReactionsDeletesAndAvatar(t *testing.T) {
	e, fake := newSlackEnv(t, false)
	e.start()
	grace := slackfake.User{ID: "U0GRACE", Name: "grace", RealName: "Grace Hopper"}
	fake.AddUser(grace)
	photo := pngImage(t, 200, 200)
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee"})
	e.tg.SetProfilePhotos(ann.ID, photo)
	ctx := slackCtx(t)

	first := e.tg.SendText(ann.ID, "Where is my parcel?")
	root := waitRoot(t, e, fake, 1, "Where is my parcel?")
	postOf := func(text string) slackfake.Message {
		t.Helper()
		var post slackfake.Message
		if !fake.WaitFor(30*time.Second, func() bool {
			for _, m := range fake.Thread(slackfake.ChannelID, root.TS) {
				if strings.Contains(m.Text, text) {
					post = m
					return true
				}
			}
			return false
		}) {
			t.Fatalf("no post with %q in the thread\n%s", text, e.Logs())
		}
		return post
	}
	customerPost := postOf("Where is my parcel?")

	// The avatar is fetched off the message path: a later message of the
	// conversation carries it as the post's icon.
	var icon string
	for i := 0; icon == "" && i < 20; i++ {
		text := "still there? " + itoa(int64(i))
		e.tg.SendText(ann.ID, text)
		icon = postOf(text).IconURL
	}
	e.assertPhotoLink("icon_url", icon, photo)

	// Grace answers; the customer reacts 👍 on the answer in Telegram.
	answerTS, d, err := fake.AgentReply(ctx, slackfake.ChannelID, root.TS, grace.ID, "It left the depot today")
	if err != nil || !d.OK() {
		t.Fatalf("agent reply: %v %+v", err, d.Attempts)
	}
	answer := e.waitBotMessage(ann.ID, "It left the depot today")
	e.waitReplyRecorded(answerTS)
	if e.tg.React(ann.ID, answer, ann.ID, "👍") == 0 {
		t.Fatal("the host did not ask Telegram for message_reaction updates")
	}
	hasReaction := func(ts, name string) bool {
		for _, r := range fake.Reactions(slackfake.ChannelID, ts) {
			if r.Name == name && slices.Contains(r.Users, slackfake.BotUserID) {
				return true
			}
		}
		return false
	}
	if !fake.WaitFor(30*time.Second, func() bool { return hasReaction(answerTS, "+1") || hasReaction(answerTS, "thumbsup") }) {
		t.Fatalf("the customer's 👍 never showed on the agent's post: %+v\n%s", fake.Reactions(slackfake.ChannelID, answerTS), e.Logs())
	}
	e.tg.React(ann.ID, answer, ann.ID)
	if !fake.WaitFor(30*time.Second, func() bool { return !hasReaction(answerTS, "+1") && !hasReaction(answerTS, "thumbsup") }) {
		t.Fatalf("the taken-back 👍 stayed on the agent's post: %+v\n%s", fake.Reactions(slackfake.ChannelID, answerTS), e.Logs())
	}

	// Grace reacts 🔥 on the customer's post: the bot sets it in Telegram,
	// and removing it takes it back.
	if d, err := fake.AgentReact(ctx, slackfake.ChannelID, customerPost.TS, grace.ID, "fire"); err != nil || !d.OK() {
		t.Fatalf("agent react: %v %+v", err, d)
	}
	e.waitReactions(ann.ID, first.MessageID, "🔥")
	if d, err := fake.AgentUnreact(ctx, slackfake.ChannelID, customerPost.TS, grace.ID, "fire"); err != nil || !d.OK() {
		t.Fatalf("agent unreact: %v %+v", err, d)
	}
	e.waitReactions(ann.ID, first.MessageID)

	// Grace deletes her answer in Slack: it goes in Telegram too.
	if d, err := fake.AgentDelete(ctx, slackfake.ChannelID, answerTS); err != nil || !d.OK() {
		t.Fatalf("agent delete: %v %+v", err, d)
	}
	e.waitDeleted(answer)
	assertNoSecrets(t, e, slackfake.BotToken, slackfake.SigningSecret)
}
