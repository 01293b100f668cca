package webhookchannel

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-dev/parley/sdk"
)

// FuzzParseReply reads any body as a receiver's reply or action: no panic;
// a reply it accepts has a conversation, an id, text or attachments, and
// only http(s) attachment URLs; an action it accepts has a known kind and
// no text; a refused body gets a problem to answer with.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		`{"conversation_id":"c1","id":"r1","text":"hi"}`,
		`{"conversation_id":"c-42","id":"desk-reply-9001","text":"Your parcel ships today 📦","attachments":[{"name":"label.pdf","mime_type":"application/pdf","url":"https://desk.example/files/label.pdf"}]}`,
		`{"conversation_id":"c1","id":"r2","attachments":[{"url":"file:///etc/passwd"}]}`,
		`{"conversation_id":"c1","id":"r3","attachments":[{"url":"http://169.254.169.254/latest/meta-data/"}]}`,
		`{"conversation_id":"c1","id":"a1","action":"close","agent":{"name":"Grace"}}`,
		`{"conversation_id":"c1","id":"a2","action":"archive"}`, `{"conversation_id":"c1","id":"a3","action":"claim","text":"x"}`,
		`{"conversation_id":" ","id":"r1","text":"x"}`, `{"conversation_id":1}`, `{"text":["a"]}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, problem := parsePayload(body)
		if problem == "" && p.Action != "" {
			a, problem := actionOf(p)
			if problem == "" && (a.Kind == "" || a.ConversationID == "" || a.ExternalID == "" || p.Text != "") {
				t.Fatalf("accepted an incomplete action %+v", a)
			}
			return
		}
		var r sdk.Reply
		if problem == "" {
			r, problem = replyOf(p)
		}
		if problem != "" {
			if !utf8.ValidString(problem) {
				t.Fatalf("problem %q is not valid UTF-8", problem)
			}
			return
		}
		if strings.TrimSpace(r.ConversationID) == "" || strings.TrimSpace(r.ExternalID) == "" ||
			(strings.TrimSpace(r.Text) == "" && len(r.Attachments) == 0) {
			t.Fatalf("accepted an incomplete reply %+v", r)
		}
		if !utf8.ValidString(r.Text) || !utf8.ValidString(r.ConversationID) || !utf8.ValidString(r.ExternalID) {
			t.Fatalf("reply %+v is not valid UTF-8", r)
		}
		for _, a := range r.Attachments {
			if !httpURL(a.Ref) {
				t.Fatalf("accepted attachment URL %q", a.Ref)
			}
		}
	})
}
