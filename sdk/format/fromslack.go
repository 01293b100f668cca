package format

import (
	"strings"
	"unicode"
)

// SlackMrkdwnToTelegramHTML turns Slack message text into Telegram HTML:
// *bold*, _italic_, ~strike~, `code` and ```pre``` become tags, <url|label>
// and <url> become links, and mentions become readable text: <@U123|anna>
// is "@anna", <@U123> is "@U123", <#C123|general> is "#general", <!here> is
// "@here". Slack's &amp;, &lt; and &gt; are decoded and the text re-escaped
// for Telegram.
//
// Slack publishes no grammar for mrkdwn and no maintained Go parser exists,
// so this is a small hand-written scanner following Slack's documented
// rules: markers must hug non-space text, open after a non-word character
// and close before one, and never span lines (except ```pre```).
func SlackMrkdwnToTelegramHTML(s string) string {
	return renderSlack(scanSlack(s))
}

// slackItem is one rune of text or one control sequence (<...>), already
// decoded, so formatting markers can span a link without breaking it.
type slackItem struct {
	r rune
	// html is the rendered control sequence, text its plain form; both are
	// empty for a text rune.
	html, text string
}

func (it slackItem) isAtom() bool { return it.html != "" || it.text != "" }

var slackUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

func scanSlack(s string) []slackItem {
	var items []slackItem
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		j := -1
		if i >= 0 {
			j = strings.IndexByte(s[i:], '>')
		}
		if i < 0 || j < 0 {
			items = appendText(items, s)
			break
		}
		items = appendText(items, s[:i])
		items = append(items, controlSequence(s[i+1:i+j]))
		s = s[i+j+1:]
	}
	return items
}

func appendText(items []slackItem, s string) []slackItem {
	for _, r := range slackUnescaper.Replace(s) {
		items = append(items, slackItem{r: r})
	}
	return items
}

// controlSequence renders the inside of one <...>.
func controlSequence(seq string) slackItem {
	target, label, hasLabel := strings.Cut(seq, "|")
	label = slackUnescaper.Replace(label)
	text := func(t string) slackItem { return slackItem{html: EscapeHTML(t), text: t} }
	switch {
	case strings.HasPrefix(target, "@"):
		if hasLabel && label != "" {
			return text("@" + strings.TrimPrefix(label, "@"))
		}
		return text(target)
	case strings.HasPrefix(target, "#"):
		if hasLabel && label != "" {
			return text("#" + strings.TrimPrefix(label, "#"))
		}
		return text(target)
	case strings.HasPrefix(target, "!"):
		if hasLabel && label != "" { // <!subteam^ID|@team>, <!date^...|fallback>
			return text(label)
		}
		name, _, _ := strings.Cut(target[1:], "^")
		return text("@" + name)
	}
	href := slackUnescaper.Replace(target)
	if !hasLabel || label == "" {
		label = strings.TrimPrefix(href, "mailto:")
	}
	if !safeURL(href) {
		return text(label)
	}
	return slackItem{html: `<a href="` + escapeAttr(href) + `">` + EscapeHTML(label) + "</a>", text: label}
}

var slackTags = map[rune]string{'*': "b", '_': "i", '~': "s"}

func renderSlack(items []slackItem) string {
	var b strings.Builder
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.isAtom() {
			b.WriteString(it.html)
			continue
		}
		if it.r == '`' && runeAt(items, i+1) == '`' && runeAt(items, i+2) == '`' {
			if end := findFence(items, i+3); end >= 0 {
				b.WriteString("<pre>" + EscapeHTML(plainText(items[i+3:end])) + "</pre>")
				i = end + 2
				continue
			}
		}
		if it.r == '`' {
			if end := findClose(items, i, '`'); end > i+1 {
				b.WriteString("<code>" + EscapeHTML(plainText(items[i+1:end])) + "</code>")
				i = end
				continue
			}
		}
		if tag, ok := slackTags[it.r]; ok && canOpen(items, i) {
			if end := findClose(items, i, it.r); end > i+1 {
				b.WriteString("<" + tag + ">" + renderSlack(items[i+1:end]) + "</" + tag + ">")
				i = end
				continue
			}
		}
		b.WriteString(EscapeHTML(string(it.r)))
	}
	return b.String()
}

// runeAt is the text rune at i, or 0 past the end or on a control sequence.
func runeAt(items []slackItem, i int) rune {
	if i < 0 || i >= len(items) || items[i].isAtom() {
		return 0
	}
	return items[i].r
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// canOpen: a marker opens after a non-word character and before non-space.
func canOpen(items []slackItem, i int) bool {
	if i > 0 && !items[i-1].isAtom() && isWord(items[i-1].r) {
		return false
	}
	if i+1 >= len(items) {
		return false
	}
	next := items[i+1]
	return next.isAtom() || !unicode.IsSpace(next.r)
}

// findClose finds the marker closing the one at i on the same line.
func findClose(items []slackItem, i int, marker rune) int {
	for j := i + 1; j < len(items); j++ {
		it := items[j]
		if it.isAtom() {
			continue
		}
		if it.r == '\n' {
			return -1
		}
		if it.r != marker || j == i+1 {
			continue
		}
		prev := items[j-1]
		if !prev.isAtom() && unicode.IsSpace(prev.r) {
			continue
		}
		if next := runeAt(items, j+1); next != 0 && isWord(next) && marker != '`' {
			continue
		}
		return j
	}
	return -1
}

// findFence finds the ``` closing a code block opened before from.
func findFence(items []slackItem, from int) int {
	for j := from; j+2 < len(items); j++ {
		if runeAt(items, j) == '`' && runeAt(items, j+1) == '`' && runeAt(items, j+2) == '`' {
			return j
		}
	}
	return -1
}

func plainText(items []slackItem) string {
	var b strings.Builder
	for _, it := range items {
		if it.isAtom() {
			b.WriteString(it.text)
		} else {
			b.WriteRune(it.r)
		}
	}
	return b.String()
}
