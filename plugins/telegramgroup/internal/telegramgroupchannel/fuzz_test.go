package telegramgroupchannel

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"github.com/mymmrac/telego"
)

const fuzzGroup = int64(-1001000000001)

// FuzzUpdate reads any update the staff bot could be sent: no panic; a
// reply or action names a topic of the configured group and carries an
// external id; entities stay inside the text; internal notes never become
// replies.
func FuzzUpdate(f *testing.F) {
	seed := func(m telego.Message, edit bool) {
		u := telego.Update{UpdateID: 1}
		if edit {
			u.EditedMessage = &m
		} else {
			u.Message = &m
		}
		b, _ := json.Marshal(u)
		f.Add(b)
	}
	from := &telego.User{ID: 7, FirstName: "Grace"}
	chat := telego.Chat{ID: fuzzGroup, Type: "supergroup", IsForum: true}
	seed(telego.Message{MessageID: 5, From: from, Chat: chat, MessageThreadID: 3, IsTopicMessage: true, Text: "Ships 🚚 today",
		Entities: []telego.MessageEntity{{Type: "bold", Offset: 6, Length: 2}, {Type: "italic", Offset: 9, Length: 5}}}, false)
	seed(telego.Message{MessageID: 6, From: from, Chat: chat, MessageThreadID: 3, IsTopicMessage: true, Text: "/close@staff_bot now",
		Entities: []telego.MessageEntity{{Type: "bot_command", Offset: 0, Length: 16}}}, false)
	seed(telego.Message{MessageID: 7, From: from, Chat: chat, MessageThreadID: 3, IsTopicMessage: true, Text: "// note"}, false)
	seed(telego.Message{MessageID: 8, From: from, Chat: chat, MessageThreadID: 3, IsTopicMessage: true, EditDate: 9, Text: "edited"}, true)
	seed(telego.Message{MessageID: 9, From: from, Chat: chat, MessageThreadID: 3, IsTopicMessage: true, Caption: "label",
		Photo: []telego.PhotoSize{{FileID: "AgAC", Width: 9}}}, false)
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"chat":{"id":-1001000000001},"from":{"id":1},"is_topic_message":true,"message_thread_id":2,"text":"x","entities":[{"type":"bold","offset":-1,"length":99}]}}`))
	st := &state{cfg: Config{BotToken: "1:" + strings.Repeat("a", 35), GroupID: fuzzGroup}, me: telego.User{Username: "staff_bot"},
		log: hclog.NewNullLogger()}
	f.Fuzz(func(t *testing.T, body []byte) {
		var u telego.Update
		if json.Unmarshal(body, &u) != nil {
			return
		}
		out := st.outcomeOf(u)
		for _, r := range out.replies {
			ref, ok := parseRef(r.ThreadRef)
			if !ok || ref.Group != fuzzGroup || r.ExternalID == "" {
				t.Fatalf("reply %+v", r)
			}
			if strings.HasPrefix(strings.TrimSpace(r.Text), "//") {
				t.Fatalf("an internal note became a reply: %q", r.Text)
			}
		}
		for _, a := range out.actions {
			if ref, ok := parseRef(a.ThreadRef); !ok || ref.Group != fuzzGroup || a.ExternalID == "" {
				t.Fatalf("action %+v", a)
			}
		}
		for _, m := range []*telego.Message{u.Message, u.EditedMessage} {
			if m == nil {
				continue
			}
			n := utf8.RuneCountInString(m.Text)
			for _, e := range toSDKEntities(m.Text, m.Entities) {
				if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
					t.Fatalf("entity %+v outside %d runes", e, n)
				}
			}
		}
	})
}

// FuzzThreadRef: any bytes parse or not, and what parses encodes back.
func FuzzThreadRef(f *testing.F) {
	for _, s := range []string{"-1001000000001:17", "", ":", "-1:0", "1:1", "-100x:3", "-5:99999999999999999999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := parseRef(b)
		if !ok {
			return
		}
		if back, ok := parseRef(r.encode()); !ok || back != r {
			t.Fatalf("%q parsed as %+v, which encodes as %q", b, r, r.encode())
		}
	})
}
