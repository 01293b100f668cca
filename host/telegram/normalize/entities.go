package normalize

import (
	"strconv"
	"unicode/utf16"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// entities converts Telegram entities, whose offsets count UTF-16 code
// units, into sdk entities counting runes, shifted by shift runes (the
// length of a summary line put before a caption). An entity that starts or
// ends inside a surrogate pair is widened to whole runes; one outside the
// text is dropped.
func entities(text string, es []telego.MessageEntity, shift int) []sdk.Entity {
	if len(es) == 0 {
		return nil
	}
	// runeAt[u] is the index of the rune holding UTF-16 unit u.
	runeAt := make([]int, 0, len(text)+1)
	runes := 0
	for _, r := range text {
		n := utf16.RuneLen(r)
		if n < 1 {
			n = 1 // invalid UTF-8 decodes to U+FFFD, one unit
		}
		for range n {
			runeAt = append(runeAt, runes)
		}
		runes++
	}
	start := func(u int) int {
		u = max(u, 0) // before max: an empty text has no runeAt[0]
		if u >= len(runeAt) {
			return runes
		}
		return runeAt[u]
	}
	end := func(u int) int {
		if u <= 0 {
			return 0
		}
		if u > len(runeAt) {
			return runes
		}
		return runeAt[u-1] + 1
	}

	out := make([]sdk.Entity, 0, len(es))
	for _, e := range es {
		s, f := start(e.Offset), end(e.Offset+e.Length)
		if f <= s {
			continue
		}
		ent := sdk.Entity{Type: e.Type, Offset: s + shift, Length: f - s, URL: e.URL, Language: e.Language}
		if e.Type == "text_mention" && e.User != nil && ent.URL == "" {
			ent.URL = "tg://user?id=" + strconv.FormatInt(e.User.ID, 10)
		}
		out = append(out, ent)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
