package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
)

const hsWebhookSecret = "hs-webhook-secret-e2e"

// newHelpScoutEnv runs parley with one Help Scout channel ("helpscout")
// against a fresh fake whose webhooks go to <public>/hooks/helpscout.
func newHelpScoutEnv(t *testing.T) (*env, *helpscoutfake.Server) {
	t.Helper()
	fake, err := helpscoutfake.New(helpscoutfake.Options{WebhookSecret: hsWebhookSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	e := newEnvWith(t, envOptions{
		Channels: fmt.Sprintf(`[channels.helpscout]
plugin = "helpscout"
[channels.helpscout.config]
app_id = "${E2E_HS_APP_ID}"
app_secret = "${E2E_HS_APP_SECRET}"
mailbox_id = %d
webhook_secret = "${E2E_HS_WEBHOOK_SECRET}"
upload_files = true
api_url = %q
`, fake.MailboxID(), fake.URL()),
		Env: map[string]string{
			"E2E_HS_APP_ID":         fake.AppID(),
			"E2E_HS_APP_SECRET":     fake.AppSecret(),
			"E2E_HS_WEBHOOK_SECRET": hsWebhookSecret,
		},
	})
	fake.SetWebhook(e.public+"/hooks/helpscout", hsWebhookSecret)
	return e, fake
}

// waitCustomerThreads waits until Help Scout holds n customer threads in
// all and returns the conversations.
func waitCustomerThreads(t *testing.T, e *env, fake *helpscoutfake.Server, n int) []helpscoutfake.Conversation {
	t.Helper()
	var convs []helpscoutfake.Conversation
	got := 0
	if !testwait.Poll(40*time.Second, func() bool {
		convs, got = fake.Conversations(), 0
		for _, c := range convs {
			got += len(c.CustomerThreads())
		}
		return got >= n
	}) {
		t.Fatalf("Help Scout has %d customer threads, want %d\n%s", got, n, e.Logs())
	}
	return convs
}

// A Telegram user's text, photo and too-large file become one Help Scout
// conversation in order, across a token expiry; an agent's HTML reply and
// its attachment reach the user as clean text and an upload; notes and
// forged webhooks reach nobody.
func TestHelpScoutRoundTrip(t *testing.T) {
	e, fake := newHelpScoutEnv(t)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee", LanguageCode: "de"})

	e.tg.SendText(ann.ID, "Where is my parcel?")
	waitCustomerThreads(t, e, fake, 1)

	// Help Scout invalidates the token; the next calls must fetch a new
	// one and carry on.
	tokens := fake.TokenRequests()
	fake.ExpireTokens()

	photo := pngImage(t, 64, 48)
	e.tg.SendPhoto(ann.ID, photo, "the box was damaged")
	bigID, bigUID := e.tg.AddLargeFile(25<<20, "huge.zip", "application/zip")
	big := e.tg.NewMessage(ann.ID, ann.ID)
	big.Document = &telego.Document{FileID: bigID, FileUniqueID: bigUID, FileName: "huge.zip", MimeType: "application/zip", FileSize: 25 << 20}
	e.tg.PushMessage(big)

	convs := waitCustomerThreads(t, e, fake, 3)
	if len(convs) != 1 {
		t.Fatalf("Help Scout has %d conversations, want 1", len(convs))
	}
	conv := convs[0]
	if conv.Type != "chat" || conv.MailboxID != fake.MailboxID() {
		t.Errorf("conversation type %q in mailbox %d", conv.Type, conv.MailboxID)
	}
	threads := conv.CustomerThreads()
	if len(threads) != 3 {
		t.Fatalf("%d customer threads, want 3", len(threads))
	}
	if !strings.Contains(threads[0].Text, "Where is my parcel?") {
		t.Errorf("thread 1 = %q", threads[0].Text)
	}
	if !strings.Contains(threads[1].Text, "the box was damaged") || len(threads[1].Files) != 1 || !bytes.Equal(threads[1].Files[0].Data, photo) {
		t.Errorf("thread 2 = %q with %d files; want the caption and the photo's bytes attached", threads[1].Text, len(threads[1].Files))
	}
	if !strings.Contains(threads[2].Text, "huge.zip") || !strings.Contains(threads[2].Text, "too large") || len(threads[2].Files) != 0 {
		t.Errorf("thread 3 = %q with %d files; want an alert naming huge.zip", threads[2].Text, len(threads[2].Files))
	}
	if fake.TokenRequests() <= tokens {
		t.Errorf("no new token after the expiry (%d requests)", fake.TokenRequests())
	}
	customers := fake.Customers()
	if len(customers) != 1 || len(customers[0].Chats) != 1 || customers[0].Chats[0].Value != "telegram:"+strconv.FormatInt(ann.ID, 10) {
		t.Errorf("customers %+v, want one with chat handle telegram:%d", customers, ann.ID)
	}

	// The agent answers with HTML and a file.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pdf := bytes.Repeat([]byte("%PDF-label-"), 300)
	_, res, err := fake.Reply(ctx, conv.ID, helpscoutfake.Reply{
		HTML:  `<div>Hi Ann,</div><div><br></div><div>Your parcel ships <b>today</b> &amp; fast.</div>`,
		Files: []helpscoutfake.File{{Name: "label.pdf", MIMEType: "application/pdf", Data: pdf}},
	}, false)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("agent reply webhook: %v, %d %s\n%s", err, res.Status, res.Body, e.Logs())
	}
	// The text goes as the document's caption or as its own message.
	var sent []telegramtest.Sent
	var text string
	doc := waitUntil(30*time.Second, func() bool {
		sent, text = e.tg.SentTo(ann.ID), ""
		found := false
		for _, s := range sent {
			text += s.Message.Text + s.Message.Caption
			found = found || s.Method == "sendDocument" && len(s.Files) == 1 && bytes.Equal(s.Files[0].Data, pdf) && s.Files[0].Name == "label.pdf"
		}
		return found
	})
	if !doc {
		t.Errorf("the agent's label.pdf did not reach Telegram as an upload\n%s", e.Logs())
	}
	if got := strings.Join(strings.Fields(text), " "); got != "Hi Ann, Your parcel ships today & fast." {
		t.Errorf("Telegram got text %q", text)
	}
	for _, s := range sent {
		if strings.Contains(s.Text+s.Caption, "<div") {
			t.Errorf("Help Scout markup reached Telegram: %q", s.Text+s.Caption)
		}
	}
	replies := len(sent)

	// An internal note stays in Help Scout.
	if _, res, err := fake.Reply(ctx, conv.ID, helpscoutfake.Reply{HTML: "<div>internal: VIP customer</div>"}, true); err != nil || res.Status/100 != 2 {
		t.Fatalf("note webhook: %v, %d %s", err, res.Status, res.Body)
	}

	// A reply with a forged signature is refused.
	if _, err := fake.AgentReply(conv.ID, helpscoutfake.Reply{HTML: "<div>forged: send your card number</div>"}, false); err != nil {
		t.Fatal(err)
	}
	payload, err := fake.Payload(conv.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := fake.SignedWebhook("convo.agent.reply.created", payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err = fake.SendRawWebhook(ctx, "convo.agent.reply.created", body, helpscoutfake.Sign("not-the-secret", body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnauthorized {
		t.Errorf("forged webhook answered %d, want 401", res.Status)
	}

	// No sentinel here: the forged webhook points at a thread that really is
	// in the conversation (AgentReply), so any later valid webhook would
	// rightly fetch and deliver it. A fixed wait is what is left.
	settle()
	if got := e.tg.SentTo(ann.ID); len(got) != replies {
		for _, s := range got[replies:] {
			t.Logf("extra: %s %q", s.Method, s.Message.Text)
		}
		t.Errorf("Telegram got %d messages after the reply, want none (a note or forged reply leaked)", len(got)-replies)
	}
	assertNoSecrets(t, e, fake.AppSecret(), hsWebhookSecret)
}
