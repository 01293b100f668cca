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

// A reply long enough for three Telegram messages, whose second message
// meets 5xx answers until the sender gives up, reaches the user as three
// messages, each once, in order, when the dispatcher retries it.
func TestMultiPartReplyResumesAfterTheSentParts(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "hi")
	if !e.desk.WaitCount(1, 15*time.Second) {
		t.Fatalf("no delivery\n%s", e.Logs())
	}
	conv := e.desk.Received()[0].ConversationID

	para := strings.Repeat("All work and no play. ", 100) // 2,200 characters
	e.tg.Inject(telegramtest.Fault{Method: "sendMessage", ChatID: ann.ID, Skip: 1, Times: 5, Status: http.StatusBadGateway})
	long := webhookdesk.Reply{ConversationID: conv, ID: "long", Text: "one " + para + "\n\ntwo " + para + "\n\nthree " + para}
	if status, body := e.reply(long); status != 200 {
		t.Fatalf("reply: %d %s", status, body)
	}
	// The conversation's replies go out in order: once the next one
	// arrived, the long one is finished.
	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: "after", Text: "after"}); status != 200 {
		t.Fatalf("reply: %d %s", status, body)
	}
	var got []string
	done := waitUntil(30*time.Second, func() bool {
		got = got[:0]
		for _, m := range e.tg.SentTo(ann.ID) {
			got = append(got, strings.Fields(m.Message.Text)[0])
		}
		return slices.Contains(got, "after")
	})
	if !done {
		t.Fatalf("the replies did not arrive within 30s (got %v)\n%s", got, tail(e.Logs(), 40))
	}
	if !slices.Equal(got, []string{"one", "two", "three", "after"}) {
		t.Fatalf("the user got %v, want one, two, three, after: each part once, in order", got)
	}
	if !strings.Contains(e.Logs(), "reply failed; will retry") {
		t.Errorf("the reply never failed: the fault was not exercised\n%s", tail(e.Logs(), 30))
	}
}
