package telegramtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mymmrac/telego"
)

// Text limits after entity parsing, counted in UTF-16 code units like entity offsets.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

// utf16Len counts s in UTF-16 code units, the unit of Telegram's lengths and entity offsets.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// formatText turns text as sent (with parse_mode markup or an entities list) into the plain text and
// entities Telegram would store, or the 400 Telegram would answer.
func formatText(text, parseMode string, rawEntities json.RawMessage) (string, []telego.MessageEntity, *apiError) {
	switch strings.ToLower(parseMode) {
	case "":
		if rawEntities == nil {
			return text, nil, nil
		}
		var ents []telego.MessageEntity
		if err := json.Unmarshal(rawEntities, &ents); err != nil {
			return "", nil, badRequest("can't parse entities JSON object")
		}
		n := utf16Len(text)
		for _, e := range ents {
			// Stricter than Telegram, which clips: an entity past the end is a UTF-16 offset bug in
			// the caller, and tests should see it.
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
				return "", nil, badRequest(fmt.Sprintf("can't parse entities: entity %q at offset %d with length %d is out of text bounds (%d UTF-16 units)", e.Type, e.Offset, e.Length, n))
			}
		}
		return text, ents, nil
	case "html":
		return parseHTML(text)
	case "markdown", "markdownv2":
		// Markdown dialects are passed through unchecked: the host sends HTML or entities.
		return text, nil, nil
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
}

// htmlTag is an open tag on the parser's stack.
type htmlTag struct {
	name   string
	offset int // UTF-16 offset in the plain text where the tag's content starts
	entity telego.MessageEntity
	skip   bool // produces no entity (e.g. <a> without href)
}

// parseHTML implements Telegram's HTML parse mode ("HTML style" in the Bot API; error texts as in tdlib's
// parse_html). It is hand-written because Telegram accepts a small, strict subset that general HTML
// parsers (which repair broken markup) cannot check. It is stricter than Telegram in one respect: a
// bare "&" or an unknown named entity is rejected instead of kept literally, so escaping bugs show.
func parseHTML(src string) (string, []telego.MessageEntity, *apiError) {
	fail := func(format string, a ...any) (string, []telego.MessageEntity, *apiError) {
		return "", nil, badRequest("can't parse entities: " + fmt.Sprintf(format, a...))
	}
	var (
		out   strings.Builder
		pos   int // UTF-16 length of out
		stack []htmlTag
		ents  []telego.MessageEntity
	)
	emit := func(r rune) {
		out.WriteRune(r)
		pos += utf16.RuneLen(r)
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '<' && i+1 < len(src) && src[i+1] == '/':
			start := i
			j := i + 2
			for j < len(src) && isNameByte(src[j]) {
				j++
			}
			name := strings.ToLower(src[i+2 : j])
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n') {
				j++
			}
			if j >= len(src) || src[j] != '>' {
				return fail("Unclosed end tag at byte offset %d", start)
			}
			i = j + 1
			if len(stack) == 0 {
				return fail("Unexpected end tag at byte offset %d", start)
			}
			top := stack[len(stack)-1]
			if top.name != name {
				return fail("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", start, top.name, name)
			}
			stack = stack[:len(stack)-1]
			if top.skip || pos == top.offset {
				continue
			}
			e := top.entity
			e.Offset, e.Length = top.offset, pos-top.offset
			// <pre><code class="language-x"> is one pre entity with a language.
			if e.Type == "code" && len(stack) > 0 && stack[len(stack)-1].name == "pre" && e.Language != "" {
				stack[len(stack)-1].entity.Language = e.Language
				continue
			}
			ents = append(ents, e)
		case c == '<':
			start := i
			j := i + 1
			for j < len(src) && isNameByte(src[j]) {
				j++
			}
			name := strings.ToLower(src[i+1 : j])
			if name == "" {
				return fail("Unsupported start tag \"\" at byte offset %d", start)
			}
			attrs, end, ok := parseAttrs(src, j)
			if !ok {
				return fail("Unclosed start tag at byte offset %d", start)
			}
			i = end
			tag := htmlTag{name: name, offset: pos}
			switch name {
			case "b", "strong":
				tag.entity.Type = "bold"
			case "i", "em":
				tag.entity.Type = "italic"
			case "u", "ins":
				tag.entity.Type = "underline"
			case "s", "strike", "del":
				tag.entity.Type = "strikethrough"
			case "tg-spoiler":
				tag.entity.Type = "spoiler"
			case "span":
				if attrs["class"] != "tg-spoiler" {
					return fail("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", start)
				}
				tag.entity.Type = "spoiler"
			case "a":
				href, ok := attrs["href"]
				if !ok || href == "" {
					tag.skip = true
				}
				tag.entity.Type, tag.entity.URL = "text_link", href
			case "code":
				tag.entity.Type = "code"
				tag.entity.Language = strings.TrimPrefix(attrs["class"], "language-")
			case "pre":
				tag.entity.Type = "pre"
			case "blockquote":
				tag.entity.Type = "blockquote"
				if _, ok := attrs["expandable"]; ok {
					tag.entity.Type = "expandable_blockquote"
				}
			case "tg-emoji":
				id, ok := attrs["emoji-id"]
				if !ok {
					return fail("Custom emoji entity must contain a tg://emoji URL at byte offset %d", start)
				}
				tag.entity.Type, tag.entity.CustomEmojiID = "custom_emoji", id
			default:
				return fail("Unsupported start tag \"%s\" at byte offset %d", name, start)
			}
			stack = append(stack, tag)
		case c == '&':
			r, n := decodeEntity(src[i:])
			if n == 0 {
				return fail("Unsupported HTML entity at byte offset %d: escape \"&\" as \"&amp;\"", i)
			}
			emit(r)
			i += n
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n <= 1 {
				return "", nil, badRequest("text must be encoded in UTF-8")
			}
			emit(r)
			i += n
		}
	}
	if len(stack) > 0 {
		return fail("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	// Tags close inner-first; Telegram lists entities by offset, outer before inner.
	slices.SortStableFunc(ents, func(a, b telego.MessageEntity) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		return b.Length - a.Length
	})
	return out.String(), ents, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// parseAttrs reads `name="value" name2='v' flag` up to '>' and returns the index after '>'.
func parseAttrs(src string, i int) (map[string]string, int, bool) {
	attrs := map[string]string{}
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			return nil, 0, false
		}
		if src[i] == '>' {
			return attrs, i + 1, true
		}
		j := i
		for j < len(src) && isNameByte(src[j]) {
			j++
		}
		if j == i {
			return nil, 0, false
		}
		name := strings.ToLower(src[i:j])
		i = j
		if i >= len(src) || src[i] != '=' {
			attrs[name] = ""
			continue
		}
		i++
		if i >= len(src) {
			return nil, 0, false
		}
		var val string
		if q := src[i]; q == '"' || q == '\'' {
			end := strings.IndexByte(src[i+1:], q)
			if end < 0 {
				return nil, 0, false
			}
			val = src[i+1 : i+1+end]
			i += end + 2
		} else {
			j := i
			for j < len(src) && src[j] != ' ' && src[j] != '>' && src[j] != '\t' && src[j] != '\n' {
				j++
			}
			val, i = src[i:j], j
		}
		if dec, _, err := parseHTML(val); err == nil { // attribute values may hold entities too
			val = dec
		}
		attrs[name] = val
	}
}

// decodeEntity decodes the HTML entity at the start of s; n is 0 if there is none.
func decodeEntity(s string) (r rune, n int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 12 {
		return 0, 0
	}
	body := s[1:end]
	switch body {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	}
	if body[0] != '#' {
		return 0, 0
	}
	var v uint64
	var err error
	if len(body) > 1 && (body[1] == 'x' || body[1] == 'X') {
		v, err = strconv.ParseUint(body[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(body[1:], 10, 32)
	}
	if err != nil || v == 0 || v > utf8.MaxRune {
		return 0, 0
	}
	return rune(v), end + 1
}
