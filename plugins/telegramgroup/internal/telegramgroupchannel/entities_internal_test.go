package telegramgroupchannel

import (
	"testing"

	"github.com/mymmrac/telego"
)

// Telegram counts entity offsets in UTF-16 units; an agent's formatting
// reaches the customer over the same characters, and a range that cuts a
// surrogate pair takes the whole character.
func TestEntitiesCountUTF16Units(t *testing.T) {
	for _, tt := range []struct {
		text           string
		offset, length int
		want           string // the runes the entity covers; "" for none
	}{
		{"Ships 🚚 today", 6, 2, "🚚"},
		{"Ships 🚚 today", 9, 5, "today"},
		{"🚚", 0, 1, "🚚"},    // the first half of the pair
		{"a🚚b", 2, 2, "🚚b"}, // from the second half
		{"abc", 2, 5, ""},   // past the end: dropped
		{"abc", -1, 2, ""},  // before the start: dropped
		{"abc", 1, 0, ""},   // empty: dropped
	} {
		es := toSDKEntities(tt.text, []telego.MessageEntity{{Type: "bold", Offset: tt.offset, Length: tt.length}})
		got := ""
		if len(es) == 1 {
			runes := []rune(tt.text)
			got = string(runes[es[0].Offset : es[0].Offset+es[0].Length])
		}
		if got != tt.want || len(es) > 1 {
			t.Errorf("%q [%d, +%d) covers %q (%+v), want %q", tt.text, tt.offset, tt.length, got, es, tt.want)
		}
	}
}
