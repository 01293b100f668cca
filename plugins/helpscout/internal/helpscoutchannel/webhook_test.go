package helpscoutchannel_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// hook hands the channel a webhook as Help Scout would send it for conv.
func (e env) hook(t *testing.T, event string, conv int64, withThreads bool) sdk.WebhookResponse {
	t.Helper()
	payload, err := e.fake.Payload(conv, withThreads)
	if err != nil {
		t.Fatal(err)
	}
	body, header, err := e.fake.SignedWebhook(event, payload)
	if err != nil {
		t.Fatal(err)
	}
	return e.raw(t, body, header)
}

func (e env) raw(t *testing.T, body []byte, header http.Header) sdk.WebhookResponse {
	t.Helper()
	resp, err := e.ch.HandleWebhook(ctx(t), sdk.WebhookRequest{Method: "POST", Path: "/", Header: header, Body: body})
	if err != nil {
		t.Fatalf("HandleWebhook: %v", err)
	}
	return resp
}

func TestAgentReplyBecomesAReply(t *testing.T) {
	e := setup(t, nil)
	ref := e.mustDeliver(t, text("m1", "Where is my parcel?"), nil)
	id := convID(t, ref)
	tid, err := e.fake.AgentReply(id, helpscoutfake.Reply{
		HTML:  `<div>Hi Ivan,</div><div><br></div><div>Your parcel ships <b>today</b> – see <a href="https://track.example/1?a=1&amp;b=2">tracking</a>.</div><ul><li>box</li><li>label</li></ul>`,
		User:  &helpscoutfake.User{ID: 17, First: "Anna", Last: "Agent"},
		Files: []helpscoutfake.File{{Name: "label.pdf", MIMEType: "application/pdf", Data: []byte("%PDF label")}},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	resp := e.hook(t, "convo.agent.reply.created", id, true)
	plugintest.AssertStatus(t, resp, 200)
	if len(resp.Replies) != 1 {
		t.Fatalf("%d replies, want 1", len(resp.Replies))
	}
	r := resp.Replies[0]
	if string(r.ThreadRef) != string(ref) || r.ExternalID != strconv.FormatInt(tid, 10) || r.Author != "Anna Agent" || r.Format != sdk.FormatTelegramHTML {
		t.Errorf("reply = %+v", r)
	}
	for _, want := range []string{"Hi Ivan,", "<b>today</b>", `<a href="https://track.example/1?a=1&amp;b=2">tracking</a>`, "• box", "• label"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("reply text %q lacks %q", r.Text, want)
		}
	}
	if len(r.Attachments) != 1 || r.Attachments[0].Name != "label.pdf" || r.Attachments[0].MIMEType != "application/pdf" {
		t.Fatalf("attachments = %+v", r.Attachments)
	}
	rc, info, err := e.ch.OpenAttachment(ctx(t), r.Attachments[0].Ref)
	if err != nil {
		t.Fatalf("OpenAttachment: %v", err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	if string(data) != "%PDF label" || info.Size != int64(len(data)) {
		t.Errorf("attachment = %q (size %d)", data, info.Size)
	}

	// Help Scout retries: the same reply, same ExternalID, so the host stores it once.
	again := e.hook(t, "convo.agent.reply.created", id, true)
	if len(again.Replies) != 1 || again.Replies[0].ExternalID != r.ExternalID {
		t.Errorf("redelivery gave %+v", again.Replies)
	}
	if err := e.host.Record(ctx(t), append(resp.Replies, again.Replies...)...); err != nil {
		t.Fatal(err)
	}
	if n := len(e.host.Replies()); n != 1 {
		t.Errorf("host stored %d replies, want 1", n)
	}
}

func TestWebhookPicksOnlyNewPublishedAgentReplies(t *testing.T) {
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name   string
		event  string
		add    func(e env, id int64)
		embed  bool
		expect []string // reply texts
	}{
		{"two replies before the webhook fired", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "one"}, false)
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "two"}, false)
		}, true, []string{"one", "two"}},
		{"older answers are not resent", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "old answer"}, false)
			e.mustDeliver(t, text("m2", "thanks, one more thing"), []byte(strconv.FormatInt(id, 10)))
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "new answer"}, false)
		}, true, []string{"new answer"}},
		{"payload without threads", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "fetched"}, false)
		}, false, []string{"fetched"}},
		{"draft", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "draft", State: "draft"}, false)
		}, true, nil},
		{"scheduled for later", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "later", ScheduledFor: &future}, false)
		}, true, nil},
		{"note", "convo.note.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "internal"}, true)
		}, true, nil},
		{"note in a reply event", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "internal"}, true)
		}, true, nil},
		{"customer reply event", "convo.customer.reply.created", func(e env, id int64) {}, true, nil},
		{"test ping", "helpscout.test", func(e env, id int64) {}, true, nil},
		{"inline image only", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: `<div><img src="https://secure.helpscout.net/x.png"></div>`}, false)
		}, true, []string{"[image]"}},
		{"mail client reply with history and signature", "convo.agent.reply.created", func(e env, id int64) {
			e.fake.AgentReply(id, helpscoutfake.Reply{HTML: `<div>Fixed now &amp; shipped.</div><div>-- </div><div>Anna, ACME support</div>` +
				`<div class="gmail_quote">On Mon, 6 May 2024 Ivan wrote:<blockquote type="cite">Where is it?</blockquote></div>`}, false)
		}, true, []string{"Fixed now &amp; shipped."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil)
			id := convID(t, e.mustDeliver(t, text("m1", "question"), nil))
			tt.add(e, id)
			resp := e.hook(t, tt.event, id, tt.embed)
			plugintest.AssertStatus(t, resp, 200)
			var got []string
			for _, r := range resp.Replies {
				got = append(got, r.Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.expect, "|") {
				t.Errorf("replies %q, want %q", got, tt.expect)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	e := setup(t, nil)
	id := convID(t, e.mustDeliver(t, text("m1", "q"), nil))
	e.fake.AgentReply(id, helpscoutfake.Reply{HTML: "a"}, false)
	payload, _ := e.fake.Payload(id, true)
	body, header, err := e.fake.SignedWebhook("convo.agent.reply.created", payload)
	if err != nil {
		t.Fatal(err)
	}
	// Re-encoding the body (as a careless receiver might) changes the bytes.
	var v any
	_ = json.Unmarshal(body, &v)
	reencoded, _ := json.Marshal(v)

	tests := []struct {
		name   string
		method string
		body   []byte
		header http.Header
		status int
	}{
		{"valid", "POST", body, header, 200},
		{"header name in any case", "POST", body, http.Header{"x-helpscout-event": {"convo.agent.reply.created"}, "x-helpscout-signature": {header.Get("X-HelpScout-Signature")}}, 200},
		{"missing signature", "POST", body, http.Header{"X-Helpscout-Event": {"convo.agent.reply.created"}}, 401},
		{"wrong secret", "POST", body, http.Header{"X-Helpscout-Event": {"convo.agent.reply.created"}, "X-Helpscout-Signature": {helpscoutfake.Sign("other", body)}}, 401},
		{"re-encoded body", "POST", reencoded, header, 401},
		{"GET", "GET", body, header, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.ch.HandleWebhook(ctx(t), sdk.WebhookRequest{Method: tt.method, Path: "/", Header: tt.header, Body: tt.body})
			if err != nil {
				t.Fatal(err)
			}
			plugintest.AssertStatus(t, resp, tt.status)
			if tt.status != 200 && len(resp.Replies) > 0 {
				t.Errorf("rejected request yielded %d replies", len(resp.Replies))
			}
		})
	}
}

func TestSignatureTestVector(t *testing.T) {
	if got := helpscoutfake.Sign("s3cr3t", []byte(`{"id":1}`)); got != "Y0IGf6wEvIUwF6iRZtH5Pncs+AI=" {
		t.Errorf("Sign = %s", got)
	}
}

func TestLongReplyIsKeptWhole(t *testing.T) {
	e := setup(t, nil)
	id := convID(t, e.mustDeliver(t, text("m1", "q"), nil))
	long := strings.Repeat("<p>"+strings.Repeat("word ", 100)+"</p>", 20) // ~10,000 characters
	e.fake.AgentReply(id, helpscoutfake.Reply{HTML: long}, false)
	resp := e.hook(t, "convo.agent.reply.created", id, true)
	if len(resp.Replies) != 1 || strings.Count(resp.Replies[0].Text, "word") != 2000 {
		t.Errorf("long reply lost text: %d replies", len(resp.Replies))
	}
}
