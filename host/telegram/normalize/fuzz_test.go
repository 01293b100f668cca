package normalize

import (
	"encoding/json"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// FuzzEntities converts entities whose offsets count UTF-16 units (as
// Telegram sends them) into rune offsets. Whatever the offsets, nothing
// panics and every entity that comes out lies inside the text, shifted by
// exactly shift.
func FuzzEntities(f *testing.F) {
	f.Add("👋 Hi there see https://example.com", 3, 2, 15, 19, 0)
	f.Add("broken 📦 box", 7, 2, -5, 40, 8)
	f.Add("a😀b", 1, 1, 2, 1, 0)               // both ends inside the surrogate pair
	f.Add("", -1, 3, 0, 1, 0)                 // no text at all
	f.Add("\xff\xfe text", 0, 2, 4, 1<<62, 3) // invalid UTF-8, overflowing end
	f.Add("Zoë 𝄞 ok", 4, 2, 6, 3, 1)
	f.Fuzz(func(t *testing.T, text string, off1, len1, off2, len2, shift int) {
		shift &= 0xffff // a summary line's length: small and not negative
		es := []telego.MessageEntity{
			{Type: "bold", Offset: off1, Length: len1},
			{Type: "text_link", Offset: off2, Length: len2, URL: "https://c.af"},
			{Type: "text_mention", Offset: off1, Length: len2, User: &telego.User{ID: 42}},
		}
		n := utf8.RuneCountInString(text)
		for _, e := range entities(text, es, shift) {
			if e.Length <= 0 || e.Offset < shift || e.Offset+e.Length > shift+n {
				t.Fatalf("entity %+v outside [%d, %d) for %q", e, shift, shift+n, text)
			}
		}
	})
}

// FuzzUpdate normalises a decoded message with text and entities: the
// text comes out valid UTF-8 and each entity covers the same runes the
// UTF-16 offsets named, when those were whole.
func FuzzUpdate(f *testing.F) {
	f.Add("hello 👋 *world*", 8, 7, "")
	f.Add("/start ref_42", 0, 6, "support_bot")
	f.Add("/start@other_bot hi", 0, 16, "support_bot")
	f.Add("caf\u00e9 \U0001F600", 5, 2, "")
	f.Fuzz(func(t *testing.T, text string, off, length int, bot string) {
		raw, _ := json.Marshal(map[string]any{
			"update_id": 1,
			"message": map[string]any{
				"message_id": 3, "date": 1767225600, "text": text,
				"chat":     map[string]any{"id": 42, "type": "private", "first_name": "Zoë"},
				"entities": []map[string]any{{"type": "bold", "offset": off, "length": length}},
			},
		})
		var u telego.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			t.Skip()
		}
		res, err := Update(u, Options{BotUsername: bot})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		m := res.Message
		if m == nil {
			if res.Start == nil && text != "" {
				t.Fatalf("text %q neither a message nor /start", text)
			}
			return
		}
		if !utf8.ValidString(m.Text) {
			t.Fatalf("invalid UTF-8 %q", m.Text)
		}
		if text == "" {
			// No text: an unsupported message, whose text is Parley's
			// placeholder; Telegram's entities named nothing in it.
			if m.Kind != sdk.KindUnsupported || len(m.Entities) != 0 {
				t.Fatalf("a message without text became %s %q with entities %+v", m.Kind, m.Text, m.Entities)
			}
			return
		}
		units := utf16.Encode([]rune(m.Text))
		runes := []rune(m.Text)
		whole := off >= 0 && length > 0 && off <= len(units) && length <= len(units)-off &&
			!isLowSurrogate(units[off]) && !isHighSurrogate(units[off+length-1])
		for _, e := range m.Entities {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > len(runes) {
				t.Fatalf("entity %+v outside %q", e, m.Text)
			}
			// A UTF-16 range inside the text and on rune boundaries
			// becomes exactly the runes it named.
			if whole {
				want := string(utf16.Decode(units[off : off+length]))
				if got := string(runes[e.Offset : e.Offset+e.Length]); got != want {
					t.Fatalf("entity %+v covers %q, Telegram meant %q", e, got, want)
				}
			}
		}
		if whole && len(m.Entities) != 1 {
			t.Fatalf("entity at units [%d, %d) of %q lost: %+v", off, off+length, m.Text, m.Entities)
		}
	})
}

func isHighSurrogate(u uint16) bool { return u >= 0xd800 && u < 0xdc00 }
func isLowSurrogate(u uint16) bool  { return u >= 0xdc00 && u < 0xe000 }
