package slackchannel_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// editOf is an edit of orig saying newText, as the host builds one.
func editOf(orig sdk.Message, newText string) sdk.Message {
	m := orig
	m.ID, m.EditOf, m.Text, m.Time = orig.ID+":edit:1", orig.ID, newText, time.Now()
	return m
}

// deliverEdit delivers edit on ref as an edit of the desk message origTS.
func (e *env) deliverEdit(edit sdk.Message, ref []byte, origTS string) (sdk.DeliverResponse, error) {
	e.t.Helper()
	req := plugintest.SampleDeliver(edit, ref)
	req.EditOfDeskMessageID = origTS
	return e.ch.Deliver(ctx(e.t), req)
}

// message is the stored Slack message with ts.
func (e *env) message(ts string) slackfake.Message {
	e.t.Helper()
	for _, m := range e.fake.Messages(slackfake.ChannelID) {
		if m.TS == ts {
			return m
		}
	}
	e.t.Fatalf("no Slack message %s", ts)
	return slackfake.Message{}
}

func TestEditUpdatesTheOriginalInPlace(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("start"), nil).ThreadRef
	orig := text("I ordered 3 <items> & more")
	first := e.deliver(orig, ref)

	resp, err := e.deliverEdit(editOf(orig, "I ordered 4 <items> & more"), ref, first.DeskMessageID)
	plugintest.AssertDelivered(t, resp, err)
	if resp.DeskMessageID != first.DeskMessageID || !bytes.Equal(resp.ThreadRef, ref) {
		t.Errorf("edit answered desk id %q ref %q, want the original's %q and %q", resp.DeskMessageID, resp.ThreadRef, first.DeskMessageID, ref)
	}
	thread := e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))
	if len(thread) != 2 {
		t.Fatalf("%d messages in the thread, want 2: the edit must not post a new one", len(thread))
	}
	got := e.message(first.DeskMessageID)
	if want := "I ordered 4 &lt;items&gt; &amp; more _(edited)_"; got.Text != want || !got.Edited {
		t.Errorf("original now %q (edited %v), want %q", got.Text, got.Edited, want)
	}
	if got.Username != "Иван Petrov" {
		t.Errorf("original now posted as %q, want still the customer", got.Username)
	}
	calls := e.fake.Calls("chat.update")
	if len(calls) != 1 || calls[0].Args["channel"] != slackfake.ChannelID || calls[0].Args["parse"] != "none" {
		t.Errorf("chat.update calls %+v, want one in the thread's channel with parse=none", calls)
	}

	// Slack reports the bot's own edit as message_changed: never a reply.
	e.settle()
	changed := false
	for _, d := range e.fake.Deliveries() {
		if bytes.Contains(d.Body, []byte(`"message_changed"`)) {
			changed = true
			if !d.OK() {
				t.Errorf("message_changed answered %+v", d.Attempts)
			}
		}
	}
	if !changed {
		t.Error("the fake sent no message_changed for the update")
	}
	plugintest.AssertNoReplies(t, e.host)

	// A second edit updates the same message again.
	resp, err = e.deliverEdit(editOf(orig, "I ordered 5"), ref, first.DeskMessageID)
	plugintest.AssertDelivered(t, resp, err)
	if got := e.message(first.DeskMessageID); got.Text != "I ordered 5 _(edited)_" {
		t.Errorf("after a second edit the original reads %q", got.Text)
	}
	if n := len(e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))); n != 2 {
		t.Errorf("%d messages in the thread after two edits, want 2", n)
	}
}

func TestEditKeepsNameAndFiles(t *testing.T) {
	t.Run("name leads the text without customize", func(t *testing.T) {
		e := newEnv(t, nil, slackfake.WithBotScopes("chat:write", "channels:history", "channels:read", "users:read", "files:read"))
		orig := text("hi")
		first := e.deliver(orig, nil)
		resp, err := e.deliverEdit(editOf(orig, "hello"), first.ThreadRef, first.DeskMessageID)
		plugintest.AssertDelivered(t, resp, err)
		if got := e.message(first.DeskMessageID).Text; got != "*Иван Petrov*: hello _(edited)_" {
			t.Errorf("original now %q, want the customer's name leading the edited text", got)
		}
		e.settle()
		plugintest.AssertNoReplies(t, e.host) // the bot's own edit, without a name override
	})
	t.Run("the mark stays out of a code block", func(t *testing.T) {
		e := newEnv(t, nil)
		orig := text("run")
		first := e.deliver(orig, nil)
		edit := editOf(orig, "run this")
		edit.Entities = []sdk.Entity{{Type: "pre", Offset: 4, Length: 4}}
		resp, err := e.deliverEdit(edit, first.ThreadRef, first.DeskMessageID)
		plugintest.AssertDelivered(t, resp, err)
		if got := e.message(first.DeskMessageID).Text; !strings.HasSuffix(got, "```\n_(edited)_") {
			t.Errorf("original now %q, want the mark on a line after the code block", got)
		}
	})
	t.Run("an edited caption keeps the file links", func(t *testing.T) {
		e := newEnv(t, nil)
		ref := e.deliver(text("start"), nil).ThreadRef
		doc := sdk.Message{ID: "doc", Kind: sdk.KindDocument, Text: "Document: invoice.pdf\nold caption",
			Attachments: []sdk.Attachment{{Kind: "document", Name: "invoice.pdf", Size: 2048, URL: "http://127.0.0.1:1/files/x"}}}
		first := e.deliver(doc, ref)
		resp, err := e.deliverEdit(editOf(doc, "Document: invoice.pdf\nnew caption"), ref, first.DeskMessageID)
		plugintest.AssertDelivered(t, resp, err)
		got := e.message(first.DeskMessageID).Text
		for _, want := range []string{"new caption", "<http://127.0.0.1:1/files/x|invoice.pdf>", "_(edited)_"} {
			if !strings.Contains(got, want) {
				t.Errorf("original lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "old caption") {
			t.Errorf("original still has the old caption:\n%s", got)
		}
	})
	t.Run("an edited caption uploads nothing again", func(t *testing.T) {
		e := newEnv(t, func(c map[string]any) { c["upload_files"] = true })
		data := bytes.Repeat([]byte("pdf "), 500)
		e.host.AddFile("file-document", "invoice.pdf", "application/pdf", data)
		ref := e.deliver(text("start"), nil).ThreadRef
		doc := sdk.Message{ID: "doc", Kind: sdk.KindDocument, Text: "Document: invoice.pdf\nold caption",
			Attachments: []sdk.Attachment{{Kind: "document", Name: "invoice.pdf", Size: int64(len(data)), FileRef: "file-document", URL: "http://127.0.0.1:1/files/x"}}}
		first := e.deliver(doc, ref)
		before := len(e.fake.Thread(slackfake.ChannelID, parentTS(t, ref)))
		resp, err := e.deliverEdit(editOf(doc, "Document: invoice.pdf\nnew caption"), ref, first.DeskMessageID)
		plugintest.AssertDelivered(t, resp, err)
		if n := len(e.fake.Files()); n != 1 {
			t.Errorf("%d files uploaded, want the original's 1", n)
		}
		if n := len(e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))); n != before {
			t.Errorf("%d messages in the thread after the edit, want %d", n, before)
		}
		if got := e.message(first.DeskMessageID).Text; !strings.Contains(got, "new caption _(edited)_") || strings.Contains(got, "http://127.0.0.1:1") {
			t.Errorf("original now %q, want the new caption and no link to an uploaded file", got)
		}
	})
}

func TestEditFallsBackToAMarkedReply(t *testing.T) {
	for _, code := range []string{"cant_update_message", "message_not_found", "edit_window_closed", "msg_too_long"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t, nil)
			ref := e.deliver(text("start"), nil).ThreadRef
			orig := text("typo")
			first := e.deliver(orig, ref)
			e.fake.InjectError("chat.update", code, 1)
			resp, err := e.deliverEdit(editOf(orig, "fixed"), ref, first.DeskMessageID)
			plugintest.AssertDelivered(t, resp, err)
			if resp.DeskMessageID == first.DeskMessageID || resp.DeskMessageID == "" {
				t.Fatalf("desk id %q, want the new reply's (original %q)", resp.DeskMessageID, first.DeskMessageID)
			}
			thread := e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))
			if len(thread) != 3 || thread[2].TS != resp.DeskMessageID {
				t.Fatalf("%d messages in the thread, want the edit as a third", len(thread))
			}
			if got := thread[2].Text; !strings.Contains(got, "✏️ _edited_") || !strings.Contains(got, "fixed") {
				t.Errorf("fallback reply %q, want the new text marked as an edit", got)
			}
			if got := e.message(first.DeskMessageID).Text; got != "typo" {
				t.Errorf("original changed to %q", got)
			}
		})
	}
	t.Run("a message the bot did not post", func(t *testing.T) {
		// The real refusal, not an injected one: an agent's message.
		e := newEnv(t, nil)
		ref := e.deliver(text("start"), nil).ThreadRef
		agentTS, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, parentTS(t, ref), slackfake.AgentUserID, "agent text")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.deliverEdit(editOf(text("typo"), "fixed"), ref, agentTS)
		plugintest.AssertDelivered(t, resp, err)
		if resp.DeskMessageID == agentTS || e.message(agentTS).Text != "agent text" {
			t.Errorf("desk id %q, agent message %q: want a new reply, the agent's untouched", resp.DeskMessageID, e.message(agentTS).Text)
		}
	})
	t.Run("a desk id that is a file", func(t *testing.T) {
		e := newEnv(t, nil)
		ref := e.deliver(text("start"), nil).ThreadRef
		resp, err := e.deliverEdit(editOf(text("typo"), "fixed"), ref, "F000001")
		plugintest.AssertDelivered(t, resp, err)
		if n := len(e.fake.Calls("chat.update")); n != 0 {
			t.Errorf("%d chat.update calls for a file id, want none", n)
		}
		if n := len(e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))); n != 2 {
			t.Errorf("%d messages in the thread, want the edit as a new reply", n)
		}
	})
}

func TestEditWithoutOriginalPostsAMarkedReply(t *testing.T) {
	e := newEnv(t, func(c map[string]any) { c["upload_files"] = true })
	data := bytes.Repeat([]byte("pdf "), 500)
	e.host.AddFile("file-document", "invoice.pdf", "application/pdf", data)
	ref := e.deliver(text("start"), nil).ThreadRef
	// The original never reached this channel, so the edit is all the
	// agent gets: files included.
	doc := sdk.Message{ID: "doc", Kind: sdk.KindDocument, Text: "Document: invoice.pdf\ncaption",
		Attachments: []sdk.Attachment{{Kind: "document", Name: "invoice.pdf", Size: int64(len(data)), FileRef: "file-document"}}}
	resp, err := e.deliverEdit(editOf(doc, "Document: invoice.pdf\nnew caption"), ref, "")
	plugintest.AssertDelivered(t, resp, err)
	if n := len(e.fake.Calls("chat.update")); n != 0 {
		t.Errorf("%d chat.update calls without an original, want none", n)
	}
	got := e.message(resp.DeskMessageID).Text
	if !strings.Contains(got, "✏️ _edited_") || !strings.Contains(got, "new caption") {
		t.Errorf("reply %q, want the new caption marked as an edit", got)
	}
	if n := len(e.fake.Files()); n != 1 {
		t.Errorf("%d files uploaded, want 1", n)
	}
}

func TestEditErrorsAreRetried(t *testing.T) {
	tests := []struct {
		name   string
		inject func(f *slackfake.Fake)
		retry  time.Duration // > 0: want a retry hint of this
	}{
		{"ratelimited with Retry-After", func(f *slackfake.Fake) { f.Inject429("chat.update", 1, 9) }, 9 * time.Second},
		{"ratelimited without header", func(f *slackfake.Fake) { f.Inject429("chat.update", 1, -1) }, 30 * time.Second},
		{"Slack outage", func(f *slackfake.Fake) { f.InjectHTTP("chat.update", 503, 1) }, 0},
		{"internal failure", func(f *slackfake.Fake) { f.InjectError("chat.update", "update_failed", 1) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ref := e.deliver(text("start"), nil).ThreadRef
			orig := text("typo")
			first := e.deliver(orig, ref)
			tt.inject(e.fake)
			_, err := e.deliverEdit(editOf(orig, "fixed"), ref, first.DeskMessageID)
			if err == nil {
				t.Fatal("edit delivered despite the failure")
			}
			if tt.retry > 0 {
				if hint, ok := sdk.RetryHint(err); !ok || hint != tt.retry {
					t.Errorf("retry hint %v (%v), want %v: %v", hint, ok, tt.retry, err)
				}
			} else {
				plugintest.AssertTemporary(t, err)
			}
			if n := len(e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))); n != 2 {
				t.Errorf("%d messages in the thread, want 2: a failure to retry must not post a copy", n)
			}
			// The host's retry then edits in place.
			resp, err := e.deliverEdit(editOf(orig, "fixed"), ref, first.DeskMessageID)
			plugintest.AssertDelivered(t, resp, err)
			if got := e.message(first.DeskMessageID).Text; got != "fixed _(edited)_" {
				t.Errorf("after the retry the original reads %q", got)
			}
		})
	}
}
