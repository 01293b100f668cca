package e2e

// Sentinels: a test that must show something did NOT reach a user sends a
// message that must arrive after it (replies to one conversation keep their
// order) and waits for that, instead of sleeping and hoping a slow machine
// has caught up.

import (
	"testing"
	"time"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// sentinel posts a valid reply with the given id to conv and waits until it
// is the last message Telegram holds for chatID. Replies to one conversation
// keep their order, so anything posted before it has gone out by then: a
// test asserts "nothing else arrived" after this, not after a fixed sleep.
func sentinel(t *testing.T, e *env, chatID int64, conv, id string) {
	t.Helper()
	text := "sentinel " + id
	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: id, Text: text}); status != 200 {
		t.Fatalf("sentinel reply %s: %d %s", id, status, body)
	}
	waitLastSent(t, e, chatID, text)
}

// waitLastSent waits until the last message Telegram holds for chatID has
// the given text: the sentinel has been sent, so everything queued before it
// for that chat has been too.
func waitLastSent(t *testing.T, e *env, chatID int64, text string) {
	t.Helper()
	testwait.Within(t, 30*time.Second, "the sentinel "+text+" reaches Telegram", func() bool {
		sent := e.tg.SentTo(chatID)
		return len(sent) > 0 && sent[len(sent)-1].Message.Text == text
	})
}

// slackSentinel has an agent reply text in the Slack thread threadTS and
// waits until it reaches chatID on Telegram.
func slackSentinel(t *testing.T, e *env, fake *slackfake.Fake, threadTS string, chatID int64, text string) {
	t.Helper()
	if _, d, err := fake.AgentReply(slackCtx(t), slackfake.ChannelID, threadTS, slackfake.AgentUserID, text); err != nil || !(d.OK() || d.Socket) {
		t.Fatalf("sentinel reply %q: %v %+v (socket %v)", text, err, d.Attempts, d.Socket)
	}
	waitLastSent(t, e, chatID, text)
}
