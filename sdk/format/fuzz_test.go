package format

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/parley-dev/parley/sdk"
)

// The properties checked here hold for valid UTF-8 input, which is all a
// plugin can get: Telegram, the desks' JSON and protobuf strings are
// UTF-8. Invalid input must only not panic.

// telegramTags are the tags Telegram's HTML parse mode accepts; any other
// tag makes sendMessage fail.
var telegramTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "tg-emoji": true, "code": true, "pre": true,
	"blockquote": true,
}

// checkHTML is the balance checker of the fuzz targets: every start tag is
// closed by the matching end tag in order, no tag is self-closing, and
// with telegram set every tag is one Telegram accepts. It returns the
// visible text (entities decoded, <br> as a line break).
func checkHTML(s string, telegram bool) (string, error) {
	z := html.NewTokenizer(strings.NewReader(s))
	var stack []string
	var text strings.Builder
	for {
		tt := z.Next()
		name, _ := z.TagName()
		switch tt {
		case html.ErrorToken:
			if len(stack) > 0 {
				return "", fmt.Errorf("unclosed tags %v in %q", stack, s)
			}
			return text.String(), nil
		case html.TextToken:
			text.Write(z.Text())
		case html.SelfClosingTagToken:
			return "", fmt.Errorf("self-closing tag <%s/> in %q", name, s)
		case html.StartTagToken:
			if !telegram && string(name) == "br" {
				text.WriteString("\n")
				continue
			}
			if telegram && !telegramTags[string(name)] {
				return "", fmt.Errorf("tag <%s> Telegram rejects in %q", name, s)
			}
			stack = append(stack, string(name))
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				return "", fmt.Errorf("tag </%s> closes %v in %q", name, stack, s)
			}
			stack = stack[:len(stack)-1]
		case html.CommentToken, html.DoctypeToken:
			return "", fmt.Errorf("comment or doctype in %q", s)
		}
	}
}

// entitiesFrom reads fuzz bytes as entities, four bytes each: type,
// offset, length (both signed, so out-of-range values are tried) and a
// URL choice.
func entitiesFrom(b []byte) []sdk.Entity {
	types := []string{entBold, entItalic, entUnderline, entStrike, entSpoiler, entCode, entPre, entTextLink,
		entURL, entBlockquote, entExpandQuote, entEmail, "mention", "hashtag"}
	urls := []string{"https://example.com/a?b=1&c=2", "javascript:alert(1)", `https://x.io/"><b>`, "tg://user?id=42", ""}
	var out []sdk.Entity
	for ; len(b) >= 4; b = b[4:] {
		e := sdk.Entity{Type: types[int(b[0])%len(types)], Offset: int(int8(b[1])), Length: int(int8(b[2])),
			URL: urls[int(b[3])%len(urls)]}
		if b[3]&0x80 != 0 {
			e.Language = "go\"><i>"
		} else if b[3]&0x40 != 0 {
			e.Language = "python"
		}
		out = append(out, e)
	}
	return out
}

// FuzzRender renders text with arbitrary entities in every dialect: the
// output is valid UTF-8, the HTML dialects balance their tags (Telegram's
// using only tags it accepts) and show exactly the input text.
func FuzzRender(f *testing.F) {
	f.Add("Hello <world> & friends, ünïcode 🙂 text\nsecond line", []byte{0, 0, 5, 0, 7, 3, 9, 0, 1, 2, 30, 0})
	f.Add("see https://example.com/x and mail ann@example.com", []byte{8, 4, 24, 0, 11, 35, 15, 0})
	f.Add("func main() {}\n", []byte{6, 0, 15, 0xc0, 5, 5, 4, 0})
	f.Add("  spaced bold  ", []byte{0, 0, 15, 0, 1, 1, 5, 0})
	f.Add("quote me", []byte{9, 0, 8, 0, 10, 0x7f, 100, 0, 7, 0, 8, 1})
	f.Fuzz(func(t *testing.T, text string, eb []byte) {
		ents := entitiesFrom(eb)
		outs := map[string]string{
			"telegram": ToTelegramHTML(text, ents), "html": ToHTML(text, ents),
			"slack": ToSlackMrkdwn(text, ents), "markdown": ToMarkdown(text, ents),
		}
		if !utf8.ValidString(text) {
			return
		}
		for name, out := range outs {
			if !utf8.ValidString(out) {
				t.Fatalf("%s: invalid UTF-8 %q", name, out)
			}
		}
		visible, err := checkHTML(outs["telegram"], true)
		if err != nil {
			t.Fatalf("ToTelegramHTML: %v", err)
		}
		// The tokenizer reads "\r" as "\n", as browsers (and Telegram) do.
		if visible != crlf.Replace(text) {
			t.Fatalf("ToTelegramHTML shows %q, text is %q", visible, text)
		}
		visible, err = checkHTML(outs["html"], false)
		if err != nil {
			t.Fatalf("ToHTML: %v", err)
		}
		// ToHTML writes line breaks as <br> (and may keep the newline).
		if strip(visible, "\n\r") != strip(text, "\n\r") {
			t.Fatalf("ToHTML shows %q, text is %q", visible, text)
		}
	})
}

// FuzzFromMarkup converts a desk's markup to Telegram HTML: valid UTF-8,
// balanced, only tags Telegram accepts; plain text from StripHTML.
func FuzzFromMarkup(f *testing.F) {
	// Help Scout thread bodies, HipChat HTML notifications, Slack mrkdwn.
	f.Add(`<div>Hi Ann,<br><br>your parcel <b>ships <i>today</i></b>.<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol></div><p>Thanks &amp; regards,<br>Support</p>`)
	f.Add(`<p>See <a href="https://example.com/track?id=1&amp;x=2">tracking</a> or <a href="javascript:alert(1)">this</a></p><script>alert(1)</script><style>p{}</style>`)
	f.Add(`<pre><code class="language-go">func main() {}</code></pre><blockquote>quoted <b>text</b></blockquote><table><tr><td>a</td></tr></table><img src=x onerror=alert(1)>`)
	f.Add(`<b><i>crossed</b></i> <u>under</u> <s>strike</s> <span style="color:red">red</span> &lt;tag&gt; &nbsp; &#128512;`)
	f.Add("*bold* _italic_ ~strike~ `code` ```pre\nblock``` <https://example.com|link> <@U123|anna> <#C42|general> <!here> &amp; &lt;b&gt;")
	f.Add("> quoted line\n• bullet *not bold*text _a_b <mailto:ann@example.com> <https://x.io>")
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		outs := map[string]string{"html": HTMLToTelegram(s), "slack": SlackMrkdwnToTelegramHTML(s)}
		plain := StripHTML(s)
		// A desk's message is at most tens of kilobytes; seconds for one
		// is a blow-up an attacker could use (generous: CI machines are slow).
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("converting %d bytes took %v", len(s), d)
		}
		if !utf8.ValidString(s) {
			return
		}
		if !utf8.ValidString(plain) {
			t.Fatalf("StripHTML: invalid UTF-8 %q", plain)
		}
		for name, out := range outs {
			if !utf8.ValidString(out) {
				t.Fatalf("%s: invalid UTF-8 %q", name, out)
			}
			if _, err := checkHTML(out, true); err != nil {
				t.Fatalf("%s(%q): %v", name, s, err)
			}
		}
	})
}

// FuzzSplit cuts text under a limit: no part is over the limit or empty,
// the parts are valid UTF-8, and joined they hold every visible character
// of the text in order (only whitespace at the cuts is dropped). Truncate
// keeps to the limit too. The real limits (MessageLimit, CaptionLimit)
// are tried on the text repeated past them.
func FuzzSplit(f *testing.F) {
	f.Add("Hello there. This is a long message.\n\nSecond paragraph with words.", uint16(20))
	f.Add("averyveryverylongwordwithoutanyspace", uint16(7))
	f.Add("🙂🙂🙂 🙂🙂 ünïcode\n\n\n   \t", uint16(3))
	f.Add("   ", uint16(1))
	f.Add("日本語の文章です。とても長い。", uint16(5))
	f.Fuzz(func(t *testing.T, s string, l uint16) {
		if !utf8.ValidString(s) {
			_ = Split(s, int(l))
			return
		}
		limit := 1 + int(l)%200
		checkSplit(t, s, limit, Split(s, limit))
		if tr := Truncate(s, limit); utf8.RuneCountInString(tr) > limit || !utf8.ValidString(tr) {
			t.Fatalf("Truncate(%q, %d) = %q", s, limit, tr)
		}
		if n := utf8.RuneCountInString(s); n > 0 && n < 64 {
			long := strings.Repeat(s, MessageLimit/n+1)
			checkSplit(t, long, MessageLimit, Split(long, MessageLimit))
			checkSplit(t, long, CaptionLimit, Split(long, CaptionLimit))
		}
	})
}

func checkSplit(t *testing.T, s string, limit int, parts []string) {
	t.Helper()
	for _, p := range parts {
		if n := utf8.RuneCountInString(p); n > limit || strings.TrimSpace(p) == "" || !utf8.ValidString(p) {
			t.Fatalf("Split(%q, %d): part %q (%d runes)", s, limit, p, n)
		}
	}
	if got, want := strip(strings.Join(parts, ""), ""), strip(s, ""); got != want {
		t.Fatalf("Split(%q, %d) = %q: visible text %q, want %q", s, limit, parts, got, want)
	}
}

// FuzzSplitHTML splits Telegram HTML (made by the converters, as plugins
// do) under a limit: every part is balanced Telegram HTML showing at most
// limit characters, and the parts show all the visible text in order.
func FuzzSplitHTML(f *testing.F) {
	f.Add(`<b>one two <i>three four</i> five</b>`, uint16(10), false)
	f.Add(`&amp;&amp;&amp; &lt;&lt;`, uint16(3), false)
	f.Add(`<a href="https://x.io/?a=1&amp;b=2">click here</a> and more`, uint16(10), false)
	f.Add("<pre>line1\nline2</pre>", uint16(6), false)
	f.Add("<p>Paragraph with <b>bold &amp; <i>italic</i></b> text and a <a href=\"https://x.io/?q=1&amp;r=2\">link</a>.</p><ul><li>one</li><li>two</li></ul>", uint16(12), false)
	f.Add("*bold words here* and `some code` then ```pre\nblock\nlines``` <https://example.com|a link>", uint16(8), true)
	f.Fuzz(func(t *testing.T, s string, l uint16, slack bool) {
		if !utf8.ValidString(s) {
			_ = SplitHTML(s, int(l))
			return
		}
		in := HTMLToTelegram(s)
		if slack {
			in = SlackMrkdwnToTelegramHTML(s)
		}
		want, err := checkHTML(in, true)
		if err != nil {
			t.Skip() // FuzzFromMarkup reports this
		}
		limit := 1 + int(l)%200
		var got strings.Builder
		for _, p := range SplitHTML(in, limit) {
			visible, err := checkHTML(p, true)
			if err != nil {
				t.Fatalf("SplitHTML(%q, %d): part: %v", in, limit, err)
			}
			if n := utf8.RuneCountInString(visible); n > limit || strings.TrimSpace(visible) == "" {
				t.Fatalf("SplitHTML(%q, %d): part %q shows %d characters", in, limit, p, n)
			}
			got.WriteString(visible)
		}
		if strip(got.String(), "") != strip(want, "") {
			t.Fatalf("SplitHTML(%q, %d): parts show %q, input shows %q", in, limit, got.String(), want)
		}
	})
}

var crlf = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// strip removes whitespace and the runes in also.
func strip(s, also string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || strings.ContainsRune(also, r) {
			return -1
		}
		return r
	}, s)
}
