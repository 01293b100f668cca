package sender

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// FuzzSplit cuts replies as the sender does before sendMessage: no part
// is over Telegram's limit in the units Telegram counts (UTF-16, after
// HTML is parsed), none is blank, and the parts show every visible
// character of the reply in order. The text is repeated past the limit so
// short inputs exercise the real limits.
func FuzzSplit(f *testing.F) {
	f.Add("Hi Ann, your parcel ships today. 📦🚚 Tracking: https://track.example/1?a=b", false, uint16(0))
	f.Add("<b>Bold 😀 words</b> and <i>italic <a href=\"https://x.io/?a=1&amp;b=2\">link</a></i>\n\n<pre>code\nblock</pre> &lt;tag&gt; &amp;", true, uint16(1))
	f.Add(strings.Repeat("𝄞", 10), false, uint16(2))
	f.Add("<blockquote expandable>quoted 🙂 text</blockquote><tg-spoiler>secret</tg-spoiler>", true, uint16(3))
	f.Add("averyveryverylongwordwithoutanyspace🙂", false, uint16(0xffff))
	f.Fuzz(func(t *testing.T, text string, html bool, l uint16) {
		if !utf8.ValidString(text) || strings.TrimSpace(text) == "" {
			return
		}
		limits := []int{format.MessageLimit, format.CaptionLimit, 128}
		limit := limits[int(l)%len(limits)]
		fm := sdk.FormatPlain
		if html {
			fm = sdk.FormatTelegramHTML
			text = format.HTMLToTelegram(text) // replies in HTML are what the converters make
		}
		if n := visibleUTF16(text, fm); n > 0 && n < 2*limit {
			text = strings.Repeat(text+"\n", 2*limit/n+1)
		}
		var got strings.Builder
		for _, p := range split(text, fm, limit) {
			if n := visibleUTF16(p, fm); n > limit || strings.TrimSpace(plainOf(p, fm)) == "" {
				t.Fatalf("part of %d UTF-16 units (limit %d): %q", n, limit, p)
			}
			got.WriteString(plainOf(p, fm))
		}
		if strip(got.String()) != strip(plainOf(text, fm)) {
			t.Fatalf("parts lost text of %q", text)
		}
	})
}

func plainOf(s string, f sdk.TextFormat) string {
	if f == sdk.FormatTelegramHTML {
		return plain(s)
	}
	return s
}

func strip(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
