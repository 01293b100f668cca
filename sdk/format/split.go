package format

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// Telegram's limits, in characters.
const (
	// MessageLimit is the longest text of one Telegram message.
	MessageLimit = 4096
	// CaptionLimit is the longest caption of a Telegram photo or document.
	CaptionLimit = 1024
)

// span is one part of a split: runes [start, end) are kept, and the next
// part starts at next (the separator between them is dropped).
type span struct{ start, end, next int }

// Split cuts s into parts of at most limit runes, preferring to cut between
// paragraphs, then lines, then sentences, then words, and cutting inside a
// word only when nothing else fits. The whitespace at each cut is dropped;
// no part is empty. A limit below 1 returns s whole.
func Split(s string, limit int) []string {
	runes := []rune(s)
	if limit < 1 || len(runes) <= limit {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return []string{s}
	}
	var parts []string
	for _, sp := range splitRunes(runes, limit) {
		parts = append(parts, string(runes[sp.start:sp.end]))
	}
	return parts
}

// splitRunes chooses the cuts. A boundary of a better kind wins only when
// it keeps the part at least half full, so one early blank line does not
// produce a tiny part.
func splitRunes(runes []rune, limit int) []span {
	var out []span
	pos := skipSpace(runes, 0)
	for pos < len(runes) {
		if len(runes)-pos <= limit {
			end := trimRight(runes, pos, len(runes))
			if end > pos {
				out = append(out, span{pos, end, len(runes)})
			}
			break
		}
		window := runes[pos : pos+limit+1] // +1: a boundary right after the limit still counts
		cut := -1
		for _, minLen := range []int{limit / 2, 1} {
			for _, find := range boundaryFinders {
				if c := find(window, limit); c >= minLen {
					cut = c
					break
				}
			}
			if cut >= 0 {
				break
			}
		}
		if cut < 0 {
			cut = limit
		}
		end := trimRight(runes, pos, pos+cut)
		if end == pos { // only whitespace before the cut
			end = pos + cut
		}
		out = append(out, span{pos, end, skipSpace(runes, pos+cut)})
		pos = skipSpace(runes, pos+cut)
	}
	return out
}

// boundaryFinders return the last cut (a length <= limit) at a paragraph,
// line, sentence or word boundary in w, or -1.
var boundaryFinders = []func(w []rune, limit int) int{
	func(w []rune, limit int) int { return lastIndex(w, limit, "\n\n") },
	func(w []rune, limit int) int { return lastIndex(w, limit, "\n") },
	func(w []rune, limit int) int {
		for i := min(limit, len(w)-1); i > 0; i-- {
			if unicode.IsSpace(w[i]) && strings.ContainsRune(".!?…。", w[i-1]) {
				return i
			}
		}
		return -1
	},
	func(w []rune, limit int) int {
		for i := min(limit, len(w)-1); i > 0; i-- {
			if unicode.IsSpace(w[i]) {
				return i
			}
		}
		return -1
	},
}

// lastIndex is the last index <= limit where sep starts in w.
func lastIndex(w []rune, limit int, sep string) int {
	s := []rune(sep)
	for i := min(limit, len(w)-len(s)); i > 0; i-- {
		if string(w[i:i+len(s)]) == sep {
			return i
		}
	}
	return -1
}

func skipSpace(runes []rune, i int) int {
	for i < len(runes) && unicode.IsSpace(runes[i]) {
		i++
	}
	return i
}

func trimRight(runes []rune, start, end int) int {
	for end > start && unicode.IsSpace(runes[end-1]) {
		end--
	}
	return end
}

// Truncate shortens s to at most limit runes, ending in "…" when it cut.
func Truncate(s string, limit int) string {
	if limit < 1 {
		return ""
	}
	runes := []rune(s)
	if len(runes) <= limit {
		return s
	}
	return strings.TrimRightFunc(string(runes[:limit-1]), unicode.IsSpace) + "…"
}

// htmlToken is one piece of Telegram HTML: a tag, or one visible rune.
type htmlToken struct {
	raw  string // the tag as written; empty for a rune
	name string // tag name
	end  bool   // closing tag
	r    rune
}

// SplitHTML splits Telegram HTML like [Split], counting only visible
// characters (what Telegram counts, an entity such as &amp; being one)
// and never cutting inside a tag or an entity. Tags open at a cut are
// closed at the end of the part and reopened at the start of the next, so
// every part is valid on its own.
func SplitHTML(s string, limit int) []string {
	toks := tokenizeHTML(s)
	var runes []rune
	var runeTok []int // token index of each visible rune
	for i, t := range toks {
		if t.raw == "" {
			runes = append(runes, t.r)
			runeTok = append(runeTok, i)
		}
	}
	if limit < 1 || len(runes) <= limit {
		if strings.TrimSpace(string(runes)) == "" {
			return nil
		}
		return []string{s}
	}
	type open struct{ name, raw string }
	var parts []string
	for _, sp := range splitRunes(runes, limit) {
		// The tags open before the part's first rune are reopened.
		var stack []open
		apply := func(t htmlToken) {
			switch {
			case t.raw == "":
			case t.end:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k].name == t.name {
						stack = stack[:k]
						break
					}
				}
			default:
				stack = append(stack, open{t.name, t.raw})
			}
		}
		first, last := runeTok[sp.start], runeTok[sp.end-1]
		for _, t := range toks[:first] {
			apply(t)
		}
		var b strings.Builder
		for _, o := range stack {
			b.WriteString(o.raw)
		}
		for _, t := range toks[first : last+1] {
			apply(t)
			if t.raw != "" {
				b.WriteString(t.raw)
			} else {
				b.WriteString(EscapeHTML(string(t.r)))
			}
		}
		// Closing tags right after the last rune belong to this part.
		for _, t := range toks[last+1:] {
			if t.raw == "" || !t.end {
				break
			}
			if len(stack) > 0 && stack[len(stack)-1].name == t.name {
				apply(t)
				b.WriteString(t.raw)
			}
		}
		for k := len(stack) - 1; k >= 0; k-- {
			b.WriteString("</" + stack[k].name + ">")
		}
		parts = append(parts, b.String())
	}
	return parts
}

// tokenizeHTML reads Telegram HTML with x/net/html's tokenizer, so
// entities and attributes are read exactly as a browser would.
func tokenizeHTML(s string) []htmlToken {
	z := html.NewTokenizer(strings.NewReader(s))
	var toks []htmlToken
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return toks
		case html.TextToken:
			for _, r := range string(z.Text()) {
				toks = append(toks, htmlToken{r: r})
			}
		case html.StartTagToken, html.EndTagToken:
			raw := string(z.Raw())
			name, _ := z.TagName()
			toks = append(toks, htmlToken{raw: raw, name: string(name), end: tt == html.EndTagToken})
		case html.SelfClosingTagToken:
			// Telegram has no void tags; keep it as written.
			toks = append(toks, htmlToken{raw: string(z.Raw()), name: "", end: true})
		}
	}
}
