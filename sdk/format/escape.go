package format

import "strings"

// telegramEscaper escapes exactly what Telegram's HTML parse mode requires:
// every other character, quotes included, is allowed as is in text.
var telegramEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// attrEscaper also escapes the double quote, for attribute values.
var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// EscapeHTML escapes s for Telegram's HTML parse mode: "&", "<" and ">"
// become entities, nothing else changes. The same escaping suits Slack
// message text.
func EscapeHTML(s string) string { return telegramEscaper.Replace(s) }

func escapeAttr(s string) string { return attrEscaper.Replace(s) }

// StripHTML turns HTML into plain text: tags are removed (block elements and
// <br> become line breaks, list items get bullets), script and style are
// dropped with their content, and entities are decoded.
func StripHTML(s string) string {
	return convertHTML(s, true)
}
