package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// A reply whose attachment URL points into the operator's network (here
// 127.0.0.1) is refused by the webhook plugin when allow_private_urls is
// not set: the text still reaches the user, the file server is never
// asked, and the desk is told why the file was not sent.
func TestReplyAttachmentFromPrivateAddressIsRefused(t *testing.T) {
	e := newEnv(t, "")
	// The harness's desk allows private URLs; this one keeps the default.
	e.opts.Channels = fmt.Sprintf(`[channels.desk]
plugin = "webhook"
[channels.desk.config]
url = %q
secret = "${E2E_DESK_SECRET}"
timeout = "5s"
`, e.desk.URL())
	e.writeConfig()
	e.start()

	var hits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(pngImage(t, 8, 8))
	}))
	defer internal.Close()

	u := e.tg.AddUser(telego.User{FirstName: "Di"})
	e.tg.SendText(u.ID, "can I see the invoice?")
	if !e.desk.WaitCount(1, 15*time.Second) {
		t.Fatalf("no delivery\n%s", e.Logs())
	}
	conv := e.desk.Received()[0].ConversationID
	reply := webhookdesk.Reply{ConversationID: conv, ID: "r-ssrf", Text: "here it is",
		Attachments: []webhookdesk.ReplyAttachment{{Name: "invoice.png", MIMEType: "image/png", URL: internal.URL + "/invoice.png"}}}
	if status, body := e.reply(reply); status != 200 {
		t.Fatalf("reply: %d %s", status, body)
	}

	// The desk hears why the file did not go out...
	var notice webhookdesk.Delivery
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
		for _, d := range ds {
			if d.Message.Kind == "notice" && strings.Contains(d.Message.Text, "invoice.png") {
				notice = d
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the desk got no notice about the refused file\n%s", e.Logs())
	}
	if !strings.Contains(notice.Message.Text, "non-public address") || !strings.Contains(notice.Message.Text, "text of the reply was sent") {
		t.Errorf("notice %q does not say the address was refused and the text sent", notice.Message.Text)
	}
	// ...and by then the user has the text alone.
	sent := e.tg.SentTo(u.ID)
	var texts []string
	for _, s := range sent {
		if s.Method != "sendMessage" {
			t.Errorf("Telegram got %s: the file went out", s.Method)
		}
		texts = append(texts, s.Message.Text)
	}
	if !strings.Contains(strings.Join(texts, "\n"), "here it is") {
		t.Errorf("the reply's text did not reach the user; sent %q", texts)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests", n)
	}
}
