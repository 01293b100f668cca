package intake

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/sdk"
)

// Update shapes as Telegram sends them (Bot API 7.x/8.x field names).
const (
	fuzzAnn     = `{"id":5551234,"is_bot":false,"first_name":"Ann","last_name":"Lee","username":"ann_l","language_code":"de"}`
	fuzzAnnChat = `{"id":5551234,"first_name":"Ann","last_name":"Lee","username":"ann_l","type":"private"}`
)

func fuzzMessage(field, extra string) string {
	return `{"update_id":204518731,"` + field + `":{"message_id":17,"from":` + fuzzAnn + `,"chat":` + fuzzAnnChat +
		`,"date":1767225600` + extra + `}}`
}

var fuzzUpdateSeeds = []string{
	fuzzMessage("message", `,"text":"Hello, my order #1234 has not arrived"`),
	fuzzMessage("message", `,"text":"👋 Hi *there* see https://example.com/x?a=1 and c.af",`+
		`"entities":[{"type":"bold","offset":6,"length":7},{"type":"url","offset":18,"length":24},`+
		`{"type":"text_link","offset":49,"length":4,"url":"https://c.af"},{"type":"italic","offset":-3,"length":99}]`),
	fuzzMessage("message", `,"text":"/start ref_campaign-42","entities":[{"type":"bot_command","offset":0,"length":6}]`),
	fuzzMessage("message", `,"text":"/start@support_bot where is my parcel?"`),
	fuzzMessage("edited_message", `,"edit_date":1767225700,"text":"fixed typo 🐛","entities":[{"type":"code","offset":6,"length":6}]`),
	fuzzMessage("message", `,"photo":[{"file_id":"AgACph-s","file_unique_id":"AQADs","file_size":1311,"width":90,"height":68},`+
		`{"file_id":"AgACph-l","file_unique_id":"AQADl","file_size":98775,"width":1280,"height":960}],`+
		`"caption":"broken 📦 box","caption_entities":[{"type":"bold","offset":7,"length":2}],"media_group_id":"13579"`),
	fuzzMessage("message", `,"document":{"file_id":"BQACAgI","file_unique_id":"AgAD","file_name":"invoice 2026.pdf","mime_type":"application/pdf","file_size":48213}`),
	fuzzMessage("message", `,"voice":{"file_id":"AwACAgI","file_unique_id":"AgADv","duration":7,"mime_type":"audio/ogg","file_size":30012}`),
	fuzzMessage("message", `,"sticker":{"file_id":"CAACAgI","file_unique_id":"AgADs","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false,"emoji":"😀"}`),
	fuzzMessage("message", `,"location":{"latitude":52.520008,"longitude":13.404954}`),
	fuzzMessage("message", `,"venue":{"location":{"latitude":48.8584,"longitude":2.2945},"title":"Eiffel Tower","address":"Champ de Mars"}`),
	fuzzMessage("message", `,"contact":{"phone_number":"+4915112345678","first_name":"Bob","user_id":777}`),
	fuzzMessage("message", `,"poll":{"id":"5","question":"Which?","options":[{"text":"A","voter_count":0},{"text":"B","voter_count":1}],"total_voter_count":1,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}`),
	fuzzMessage("message", `,"forward_origin":{"type":"user","date":1767000000,"sender_user":{"id":9,"is_bot":false,"first_name":"Carl"}},"text":"fwd"`),
	fuzzMessage("message", `,"forward_origin":{"type":"alien","date":1},"text":"hello"`),
	fuzzMessage("message", `,"reply_to_message":{"message_id":16,"from":{"id":6012345678,"is_bot":true,"first_name":"Support","username":"support_bot"},"chat":`+fuzzAnnChat+`,"date":1767225500,"text":"How can we help?"},"text":"thanks"`),
	`{"update_id":1,"message":{"message_id":1,"from":` + fuzzAnn + `,"chat":{"id":-10042,"type":"supergroup","title":"Team"},"date":1,"text":"hi"}}`,
	`{"update_id":1,"channel_post":{"message_id":1,"chat":{"id":-10077,"type":"channel","title":"News"},"date":1,"text":"hi"}}`,
	`{"update_id":1,"callback_query":{"id":"q","from":` + fuzzAnn + `,"chat_instance":"c","data":"x"}}`,
	`{"update_id":1,"my_chat_member":{"chat":` + fuzzAnnChat + `,"from":` + fuzzAnn + `,"date":1,"old_chat_member":{"status":"member","user":` + fuzzAnn + `},"new_chat_member":{"status":"kicked","user":` + fuzzAnn + `,"until_date":0}}}`,
	`{"update_id":78,"message":{"chat":"not an object"}}`,
	`{"update_id":79,"message":{"message_id":2,"chat":{"id":42},"date":1,"text":"\ud83d"}}`,
	`{"update_id":80,"edited_message":{"message_id":2,"chat":{"id":42,"type":"private"},"caption":"c\u00e9","date":0,"photo":"x"}}`,
	`{"update_id":81,"poll_answer":{"poll_id":"1"}}`,
	`{"update_id":82}`,
	`[]`,
	`"text"`,
}

// FuzzDecode feeds one update through what the intake does with it:
// Decode, then normalize.Update, falling back to normalize.Raw for what
// cannot be decoded or normalised. Whatever the bytes, nothing panics,
// every update ends as a private message or an ignored one with a reason,
// and the text the desks get is valid UTF-8 with entities inside it.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzUpdateSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		// The same update as the one element of a getUpdates result.
		if batch, err := decodeBatch(json.RawMessage("[" + string(raw) + "]")); json.Valid(raw) && (err != nil || len(batch) != 1) {
			t.Fatalf("a one-element array decoded as %d updates", len(batch))
		}
		u := Decode(json.RawMessage(raw))
		if (u.Update == nil) == (u.DecodeErr == nil) {
			t.Fatalf("Update %v and DecodeErr %v: exactly one must be set", u.Update, u.DecodeErr)
		}
		var res normalize.Result
		if u.Update == nil {
			res = normalize.Raw(u.ID, u.Raw, u.DecodeErr)
		} else {
			var err error
			if res, err = normalize.Update(*u.Update, normalize.Options{BotUsername: "support_bot", BotID: 6012345678}); err != nil {
				res = normalize.Raw(u.ID, u.Raw, err)
			}
		}
		switch res.Kind {
		case normalize.Ignored:
			if res.Reason == "" {
				t.Fatal("ignored update without a reason")
			}
			if res.Message != nil {
				t.Fatal("ignored update carries a message")
			}
		case normalize.Private:
			if res.ChatID == 0 {
				t.Fatal("private message without a chat id")
			}
			if res.Message == nil && res.Start == nil {
				t.Fatal("private message with neither a message nor /start")
			}
		default:
			t.Fatalf("result kind %v", res.Kind)
		}
		for _, s := range []string{res.Reason, res.Contact.FirstName, res.Contact.LastName, res.Contact.Username} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 out: %q", s)
			}
		}
		if res.Start != nil && !utf8.ValidString(res.Start.Payload) {
			t.Fatalf("invalid UTF-8 payload %q", res.Start.Payload)
		}
		if m := res.Message; m != nil {
			checkMessage(t, m)
		}
	})
}

func checkMessage(t *testing.T, m *sdk.Message) {
	t.Helper()
	if m.ID == "" || m.Kind == "" {
		t.Fatalf("message without id or kind: %+v", m)
	}
	if !utf8.ValidString(m.Text) {
		t.Fatalf("invalid UTF-8 text %q", m.Text)
	}
	n := utf8.RuneCountInString(m.Text)
	for _, e := range m.Entities {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
			t.Fatalf("entity %+v outside text of %d runes %q", e, n, m.Text)
		}
	}
	for _, a := range m.Attachments {
		if !utf8.ValidString(a.Name) || !utf8.ValidString(a.MIMEType) {
			t.Fatalf("invalid UTF-8 in attachment %+v", a)
		}
	}
}
