package slackchannel_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

const wait = 5 * time.Second

func TestAgentReplyReachesUser(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("Where is my order?"), nil).ThreadRef
	ts, d, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, parentTS(t, ref), slackfake.AgentUserID,
		"*Shipped* today &amp; arriving &lt;soon&gt;, <@"+slackfake.AgentUserID+"> here. <https://track.example/1|Track it>")
	if err != nil || !d.OK() {
		t.Fatalf("event delivery: %v %+v", err, d.Attempts)
	}
	r := plugintest.AssertReplies(t, e.host, 1, wait)[0]
	if !bytes.Equal(r.ThreadRef, ref) || r.ExternalID != ts || r.Author != "Alice" || r.Format != sdk.FormatTelegramHTML {
		t.Errorf("reply %+v; want thread %q, external id %q, author Alice, Telegram HTML", r, ref, ts)
	}
	want := `<b>Shipped</b> today &amp; arriving &lt;soon&gt;, @Alice here. <a href="https://track.example/1">Track it</a>`
	if r.Text != want {
		t.Errorf("text\n%q, want\n%q", r.Text, want)
	}
}

func TestEventsThatAreNotRepliesAreIgnored(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("hello"), nil).ThreadRef // its echoes reach the hook too
	root := parentTS(t, ref)
	if _, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "// she sounds upset, be gentle"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "  //internal too"); err != nil {
		t.Fatal(err)
	}
	other, _, err := e.fake.TopLevelMessage(ctx(t), slackfake.ChannelID, slackfake.AgentUserID, "lunch anyone?")
	if err != nil {
		t.Fatal(err)
	}
	// A reply in a thread that Parley did not start.
	if _, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, other, slackfake.AgentUserID, "me!"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	plugintest.AssertNoReplies(t, e.host)
	if len(e.fake.Deliveries()) < 5 {
		t.Errorf("only %d events delivered; the echoes of our own posts are missing", len(e.fake.Deliveries()))
	}
}

func TestInternalPrefixIsConfigurable(t *testing.T) {
	e := newEnv(t, func(c map[string]any) { c["internal_prefix"] = "!note" })
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	for _, s := range []string{"!note check the CRM", "// this one is for the user"} {
		if _, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, s); err != nil {
			t.Fatal(err)
		}
	}
	r := plugintest.AssertReplies(t, e.host, 1, wait)
	e.settle()
	if got := e.host.Replies(); len(got) != 1 || !strings.Contains(r[0].Text, "this one is for the user") {
		t.Errorf("replies %+v; want only the one without the prefix", got)
	}
}

func TestSignatureChecks(t *testing.T) {
	e := newEnv(t, nil)
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	e.settle()
	e.host.Reset()
	inner := map[string]any{"type": "message", "channel": slackfake.ChannelID, "user": slackfake.AgentUserID,
		"text": "forged", "ts": "1800000000.000001", "thread_ts": root, "parent_user_id": slackfake.BotUserID}

	if status, err := e.fake.SendWithBadSignature(ctx(t), inner); err != nil || status != http.StatusUnauthorized {
		t.Errorf("bad signature answered %d (%v), want 401", status, err)
	}
	if status, err := e.fake.SendWithStaleTimestamp(ctx(t), inner, 6*time.Minute); err != nil || status != http.StatusUnauthorized {
		t.Errorf("stale timestamp answered %d (%v), want 401", status, err)
	}
	res, err := http.Post(e.hook.URL, "application/json", strings.NewReader(`{"type":"event_callback"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned request answered %d, want 401", res.StatusCode)
	}
	plugintest.AssertNoReplies(t, e.host)
}

func TestURLVerification(t *testing.T) {
	e := newEnv(t, nil)
	challenge, status, body, err := e.fake.SendURLVerification(ctx(t))
	if err != nil || status != http.StatusOK || string(body) != challenge {
		t.Errorf("url_verification answered %d %q (%v), want 200 %q", status, body, err, challenge)
	}
}

func TestRetriedEventReachesUserOnce(t *testing.T) {
	e := newEnv(t, nil)
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	_, d, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "On it")
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertReplies(t, e.host, 1, wait)
	calls := len(e.fake.Calls())
	for n := 1; n <= 3; n++ {
		if status, err := e.fake.ReplayExact(ctx(t), d, n); err != nil || status != http.StatusOK {
			t.Fatalf("retry %d answered %d (%v)", n, status, err)
		}
	}
	if got := e.host.Replies(); len(got) != 1 {
		t.Errorf("%d replies after Slack's retries, want 1", len(got))
	}
	if n := len(e.fake.Calls()) - calls; n != 0 {
		t.Errorf("retries made %d more Slack calls, want none", n)
	}
	// Every answer carried the same reply, so a first answer the host
	// failed to store is not lost.
	var ids []string
	for _, r := range e.hookResponses() {
		for _, rep := range r.Replies {
			ids = append(ids, rep.ExternalID)
		}
	}
	if len(ids) != 4 || ids[0] != ids[3] {
		t.Errorf("replies in the answers: %v; want the same one four times", ids)
	}
}

func TestAgentEdits(t *testing.T) {
	e := newEnv(t, nil)
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	ts, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "Your order ships Monday")
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertReplies(t, e.host, 1, wait)
	if _, err := e.fake.Unfurl(ctx(t), slackfake.ChannelID, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.AgentEdit(ctx(t), slackfake.ChannelID, ts, "Your order ships Tuesday"); err != nil {
		t.Fatal(err)
	}
	got := plugintest.AssertReplies(t, e.host, 2, wait)
	e.settle()
	if len(e.host.Replies()) != 2 {
		t.Fatalf("%d replies; the unfurl must not count as an edit", len(e.host.Replies()))
	}
	edit := got[1]
	if edit.EditOf != ts || edit.Text != "Your order ships Tuesday" || edit.ExternalID == ts {
		t.Errorf("edit %+v; want EditOf %q with the new text and its own external id", edit, ts)
	}
}

func TestAgentFilesReachUser(t *testing.T) {
	e := newEnv(t, nil)
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	content := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 5000)
	_, id, _, err := e.fake.AgentUpload(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "label.png", "image/png", content, "Here is your label")
	if err != nil {
		t.Fatal(err)
	}
	r := plugintest.AssertReplies(t, e.host, 1, wait)[0]
	if r.Text != "Here is your label" || len(r.Attachments) != 1 {
		t.Fatalf("reply %+v; want the text and one attachment", r)
	}
	a := r.Attachments[0]
	if a.Ref != id || a.Name != "label.png" || a.MIMEType != "image/png" || a.Size != int64(len(content)) {
		t.Errorf("attachment %+v", a)
	}
	rc, info, err := e.ch.OpenAttachment(ctx(t), a.Ref)
	if err != nil {
		t.Fatalf("OpenAttachment: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) || info.Name != "label.png" {
		t.Errorf("downloaded %d bytes as %q (%v), want the %d bytes of label.png", len(got), info.Name, err, len(content))
	}
	var authed bool
	for _, c := range e.fake.Calls("GET url_private") {
		authed = c.Token == slackfake.BotToken
	}
	if !authed {
		t.Error("the file was not downloaded with the bot token")
	}
}
