package format

import (
	"strings"

	"github.com/parley-dev/parley/sdk"
)

// ToTelegramHTML renders a message's text and entities (rune offsets, as in
// [sdk.Message]) as Telegram HTML, for sending back with
// sdk.FormatTelegramHTML.
func ToTelegramHTML(text string, entities []sdk.Entity) string {
	return render(text, entities, telegramDialect)
}

var telegramDialect = dialect{
	escape: func(s string, _ bool) string { return EscapeHTML(s) },
	atomic: isCode,
	known: func(t string) bool {
		return isOneOf(t, entBold, entItalic, entUnderline, entStrike, entSpoiler, entCode, entPre,
			entTextLink, entBlockquote, entExpandQuote)
	},
	wrap: func(e sdk.Entity, inner, _ string) string {
		switch e.Type {
		case entBold:
			return "<b>" + inner + "</b>"
		case entItalic:
			return "<i>" + inner + "</i>"
		case entUnderline:
			return "<u>" + inner + "</u>"
		case entStrike:
			return "<s>" + inner + "</s>"
		case entSpoiler:
			return "<tg-spoiler>" + inner + "</tg-spoiler>"
		case entCode:
			return "<code>" + inner + "</code>"
		case entPre:
			if lang := cleanLanguage(e.Language); lang != "" {
				return `<pre><code class="language-` + lang + `">` + inner + "</code></pre>"
			}
			return "<pre>" + inner + "</pre>"
		case entTextLink:
			if !safeURL(e.URL) {
				return inner
			}
			return `<a href="` + escapeAttr(strings.TrimSpace(e.URL)) + `">` + inner + "</a>"
		case entBlockquote:
			return "<blockquote>" + inner + "</blockquote>"
		case entExpandQuote:
			return "<blockquote expandable>" + inner + "</blockquote>"
		}
		return inner
	},
}

// cleanLanguage keeps a code block's language name only when it is a plain
// identifier ("go", "c++", "objective-c"), so it cannot break the attribute.
func cleanLanguage(lang string) string {
	for _, r := range lang {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-_.#", r)) {
			return ""
		}
	}
	return lang
}

// ToSlackMrkdwn renders a message's text and entities as Slack mrkdwn:
// *bold*, _italic_, ~strike~, `code`, ```pre```, <url|text> links and "> "
// quotes, with "&", "<" and ">" escaped as Slack requires. Underline and
// spoilers have no mrkdwn form and render as plain text.
func ToSlackMrkdwn(text string, entities []sdk.Entity) string {
	return render(text, entities, slackDialect)
}

// slackURL makes a URL safe inside <url|label>: "|" and ">" would end it.
var slackURL = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C")

var slackDialect = dialect{
	escape: func(s string, _ bool) string { return EscapeHTML(s) },
	// Slack does not render markup inside a link label either.
	atomic:    func(e sdk.Entity) bool { return isCode(e) || e.Type == entTextLink || e.Type == entEmail },
	trimSpace: true,
	known: func(t string) bool {
		return isOneOf(t, entBold, entItalic, entStrike, entCode, entPre, entTextLink, entEmail,
			entBlockquote, entExpandQuote)
	},
	wrap: func(e sdk.Entity, inner, raw string) string {
		switch e.Type {
		case entBold:
			return "*" + inner + "*"
		case entItalic:
			return "_" + inner + "_"
		case entStrike:
			return "~" + inner + "~"
		case entCode:
			return "`" + inner + "`"
		case entPre:
			return "```" + inner + "```"
		case entTextLink, entEmail:
			target := linkTarget(e, raw)
			if target == "" {
				return inner
			}
			return "<" + slackURL.Replace(target) + "|" + inner + ">"
		case entBlockquote, entExpandQuote:
			return quoteLines(inner)
		}
		return inner
	},
}

// quoteLines prefixes every line with "> ", the quote marker of Slack mrkdwn
// and Markdown.
func quoteLines(s string) string {
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// ToHTML renders a message's text and entities as generic HTML for desks
// that take HTML bodies (Help Scout, HipChat): <strong>, <em>, <u>, <s>,
// <code>, <pre>, <a>, <blockquote>, and newlines as <br>.
func ToHTML(text string, entities []sdk.Entity) string {
	return render(text, entities, htmlDialect)
}

var htmlDialect = dialect{
	escape: func(s string, inCode bool) string {
		s = EscapeHTML(s)
		if inCode {
			return s
		}
		return strings.ReplaceAll(s, "\n", "<br>")
	},
	atomic: isCode,
	known: func(t string) bool {
		return isOneOf(t, entBold, entItalic, entUnderline, entStrike, entCode, entPre, entTextLink,
			entURL, entEmail, entBlockquote, entExpandQuote)
	},
	wrap: func(e sdk.Entity, inner, raw string) string {
		switch e.Type {
		case entBold:
			return "<strong>" + inner + "</strong>"
		case entItalic:
			return "<em>" + inner + "</em>"
		case entUnderline:
			return "<u>" + inner + "</u>"
		case entStrike:
			return "<s>" + inner + "</s>"
		case entCode:
			return "<code>" + inner + "</code>"
		case entPre:
			return "<pre>" + inner + "</pre>"
		case entTextLink, entURL, entEmail:
			target := linkTarget(e, raw)
			if target == "" {
				return inner
			}
			return `<a href="` + escapeAttr(target) + `">` + inner + "</a>"
		case entBlockquote, entExpandQuote:
			return "<blockquote>" + inner + "</blockquote>"
		}
		return inner
	},
}

// ToMarkdown renders a message's text and entities as CommonMark (with
// GitHub's ~~strike~~): **bold**, *italic*, `code`, fenced code blocks,
// [text](url) links and "> " quotes. Markdown punctuation in the text is
// backslash-escaped so it stays literal.
func ToMarkdown(text string, entities []sdk.Entity) string {
	return render(text, entities, markdownDialect)
}

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "~", `\~`, "<", `\<`, ">", `\>`,
)

// markdownURL keeps a link destination from ending early.
var markdownURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")

var markdownDialect = dialect{
	escape: func(s string, inCode bool) string {
		if inCode {
			return s
		}
		return markdownEscaper.Replace(s)
	},
	atomic:    isCode,
	trimSpace: true,
	known: func(t string) bool {
		return isOneOf(t, entBold, entItalic, entStrike, entCode, entPre, entTextLink, entEmail,
			entBlockquote, entExpandQuote)
	},
	wrap: func(e sdk.Entity, inner, raw string) string {
		switch e.Type {
		case entBold:
			return "**" + inner + "**"
		case entItalic:
			return "*" + inner + "*"
		case entStrike:
			return "~~" + inner + "~~"
		case entCode:
			fence := strings.Repeat("`", longestRun(raw, '`')+1)
			if strings.HasPrefix(raw, "`") || strings.HasSuffix(raw, "`") {
				return fence + " " + raw + " " + fence
			}
			return fence + raw + fence
		case entPre:
			fence := strings.Repeat("`", max(3, longestRun(raw, '`')+1))
			body := raw
			if !strings.HasSuffix(body, "\n") {
				body += "\n"
			}
			return fence + cleanLanguage(e.Language) + "\n" + body + fence
		case entTextLink, entEmail:
			target := linkTarget(e, raw)
			if target == "" {
				return inner
			}
			return "[" + inner + "](" + markdownURL.Replace(target) + ")"
		case entBlockquote, entExpandQuote:
			return quoteLines(inner)
		}
		return inner
	},
}

// longestRun is the length of the longest run of r in s.
func longestRun(s string, r rune) int {
	best, cur := 0, 0
	for _, c := range s {
		if c == r {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}
