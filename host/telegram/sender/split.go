package sender

import (
	"strings"
	"unicode/utf16"

	"golang.org/x/net/html"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// split cuts text into parts Telegram accepts under limit. format.Split
// counts runes, while Telegram counts UTF-16 units, in which an emoji or
// other non-BMP character is two: a part too long in those units is split
// again with a smaller rune limit.
func split(text string, f sdk.TextFormat, limit int) []string {
	runeLimit := limit
	for {
		var parts []string
		if f == sdk.FormatTelegramHTML {
			parts = format.SplitHTML(text, runeLimit)
		} else {
			parts = format.Split(text, runeLimit)
		}
		ok := true
		for _, p := range parts {
			if visibleUTF16(p, f) > limit {
				ok = false
				break
			}
		}
		if ok || runeLimit < 64 {
			return parts
		}
		runeLimit = runeLimit * 3 / 4
	}
}

// visibleUTF16 is the length Telegram checks: the text after markup is
// parsed, in UTF-16 code units.
func visibleUTF16(s string, f sdk.TextFormat) int {
	if f == sdk.FormatTelegramHTML {
		s = plain(s)
	}
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// plain turns Telegram HTML into the text Telegram would have shown: tags
// dropped, entities decoded, whitespace kept as written (Telegram, unlike a
// browser, keeps line breaks; format.StripHTML collapses them like a
// browser, hence this tokenizer loop). It is the fallback when Telegram
// cannot parse the markup.
func plain(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		}
	}
}
