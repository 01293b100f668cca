package helpscoutchannel

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
	"github.com/parley-dev/parley/sdk/signature"
)

// FuzzWebhook posts any body, correctly signed, as any of the events Help
// Scout sends to a channel configured against the fake Help Scout:
// HandleWebhook never panics, fails only when it had to ask Help Scout for
// the threads, answers a valid status, and every reply names the
// conversation of the payload and carries valid UTF-8.
func FuzzWebhook(f *testing.F) {
	const secret = "hook-secret"
	conv := func(threads string) string {
		return `{"id":4321,"number":17,"threads":2,"type":"chat","folderId":1,"status":"active","state":"published",` +
			`"subject":"Telegram: Ann Lee","preview":"Hi Ann","mailboxId":99,"createdAt":"2026-01-01T00:00:00Z",` +
			`"primaryCustomer":{"id":7,"type":"customer","first":"Ann","last":"Lee","email":"tg-5551234@telegram.invalid"},` +
			`"_embedded":{"threads":[` + threads + `]}}`
	}
	customer := `{"id":1,"type":"customer","state":"published","body":"Where is my parcel?","createdBy":{"id":7,"type":"customer","first":"Ann"},"createdAt":"2026-01-01T00:00:00Z"}`
	agent := `{"id":2,"type":"reply","state":"published","status":"active","body":"<div>Hi Ann,<br><br>it ships <b>today</b>.</div><div class=\"gmail_quote\">On Mon Ann wrote: old</div>",` +
		`"createdBy":{"id":3,"type":"user","first":"Sam","last":"Support","email":"sam@example.com"},"createdAt":"2026-01-01T00:05:00Z",` +
		`"_embedded":{"attachments":[{"id":55,"filename":"label.pdf","mimeType":"application/pdf","size":1234}]}}`
	note := `{"id":3,"type":"note","state":"published","body":"internal","createdBy":{"id":3,"type":"user"},"createdAt":"2026-01-01T00:06:00Z"}`
	draft := `{"id":4,"type":"reply","state":"draft","body":"draft","createdBy":{"id":3,"type":"user"},"createdAt":"2026-01-01T00:07:00Z",` +
		`"scheduled":{"scheduledFor":"2999-01-01T00:00:00Z"}}`
	for _, body := range []string{
		conv(customer + "," + agent), conv(agent + "," + note + "," + draft), conv(customer), conv(""),
		`{"id":0}`, `{"id":-5,"_embedded":{"threads":[` + agent + `]}}`, `{"id":4321,"_embedded":{"threads":{}}}`, `[]`, `not json`,
	} {
		f.Add([]byte(body), uint8(0))
		f.Add([]byte(body), uint8(1))
	}
	f.Add([]byte(`{"url":"https://example.com/hooks/helpscout"}`), uint8(2))

	fake, err := helpscoutfake.New(helpscoutfake.Options{WebhookSecret: secret})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(fake.Close)
	ch := New(Options{Version: "fuzz"})
	cfg, _ := json.Marshal(map[string]any{"app_id": fake.AppID(), "app_secret": fake.AppSecret(),
		"mailbox_id": fake.MailboxID(), "webhook_secret": secret, "api_url": fake.URL()})
	resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{ChannelName: "helpscout", Config: cfg,
		Host: plugintest.NewRecordingHost(), HookBaseURL: "http://127.0.0.1/hooks/helpscout"})
	if err != nil || len(resp.Errors) > 0 {
		f.Fatalf("Configure: %v %+v", err, resp.Errors)
	}
	events := []string{eventAgentReply, "convo.note.created", eventTest, "convo.customer.reply.created"}

	f.Fuzz(func(t *testing.T, body []byte, event uint8) {
		req := sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Body: body, Header: map[string][]string{
			"X-HelpScout-Signature": {signature.SignHMACSHA1Base64([]byte(secret), body)},
			"X-HelpScout-Event":     {events[int(event)%len(events)]},
			"Content-Type":          {"application/json"},
		}}
		resp, err := ch.HandleWebhook(context.Background(), req)
		var c hsapi.Conversation
		decoded := json.Unmarshal(body, &c) == nil
		if err != nil {
			if !decoded || len(c.Embedded.Threads) > 0 {
				t.Fatalf("HandleWebhook failed without asking Help Scout: %v", err)
			}
			return
		}
		if resp.Status < 200 || resp.Status > 599 {
			t.Fatalf("status %d", resp.Status)
		}
		for _, r := range resp.Replies {
			if !decoded || string(r.ThreadRef) != strconv.FormatInt(c.ID, 10) {
				t.Fatalf("reply for %q from a payload about conversation %d", r.ThreadRef, c.ID)
			}
			if !utf8.ValidString(r.Text) || !utf8.ValidString(r.Author) || r.ExternalID == "" {
				t.Fatalf("reply %+v", r)
			}
		}
	})
}
