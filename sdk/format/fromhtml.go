package format

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToTelegram turns a desk's HTML (a Help Scout thread body, a HipChat
// message) into Telegram's HTML subset. Formatting tags map to Telegram's
// (<b>, <i>, <u>, <s>, <code>, <pre>, <a>, <blockquote>); paragraphs are
// separated by a blank line, <br> and <div> break lines, list items become
// "• item" or "1. item" lines; unknown tags are dropped keeping their text,
// and script and style are dropped with their content. Text is escaped, so
// the result is always valid Telegram HTML.
func HTMLToTelegram(s string) string {
	return convertHTML(s, false)
}

// convertHTML walks the parsed document. Parsing with x/net/html (the
// HTML5 algorithm browsers use) rather than patterns means broken, nested
// or unclosed markup from desks is read the way the agent saw it.
func convertHTML(s string, plain bool) string {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil { // only possible on a reader error; fall back to text
		if plain {
			return strings.TrimSpace(html.UnescapeString(s))
		}
		return EscapeHTML(strings.TrimSpace(html.UnescapeString(s)))
	}
	c := &converter{plain: plain}
	for _, n := range nodes {
		c.walk(n)
	}
	return strings.TrimSpace(c.out.String())
}

// converter writes text lazily: line breaks, a collapsed space and opening
// tags wait until the next visible text, so empty elements and trailing
// whitespace never reach the output.
type converter struct {
	plain bool
	out   strings.Builder
	// last is the last visible rune written, 0 before any.
	last   rune
	breaks int
	space  bool
	tags   []tagEntry
	// literal counts enclosing pre/code: whitespace is kept and no inner
	// tags are written there (Telegram allows none).
	literal int
	pre     int
	lists   []listState
}

type tagEntry struct {
	open, close string
	written     bool
}

type listState struct {
	ordered bool
	n       int
}

func (c *converter) lineBreak(n int) {
	if c.last != 0 {
		c.breaks = max(c.breaks, n)
	}
}

func (c *converter) emit(s string) {
	if s == "" {
		return
	}
	if c.last != 0 {
		switch {
		case c.breaks > 0:
			c.out.WriteString(strings.Repeat("\n", min(c.breaks, 2)))
			c.last = '\n'
		case c.space && c.last != ' ' && c.last != '\n':
			c.out.WriteByte(' ')
			c.last = ' '
		}
	}
	c.breaks, c.space = 0, false
	for i := range c.tags {
		if !c.tags[i].written {
			c.out.WriteString(c.tags[i].open)
			c.tags[i].written = true
		}
	}
	if c.plain {
		c.out.WriteString(s)
	} else {
		c.out.WriteString(EscapeHTML(s))
	}
	c.last, _ = utf8.DecodeLastRuneInString(s)
}

func (c *converter) text(s string) {
	if c.pre > 0 {
		c.emit(s)
		return
	}
	isSpace := func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' }
	words := strings.FieldsFunc(s, isSpace)
	lead, _ := utf8.DecodeRuneInString(s)
	if len(s) > 0 && isSpace(lead) {
		c.space = true
	}
	for i, w := range words {
		if i > 0 {
			c.space = true
		}
		c.emit(w)
	}
	trail, _ := utf8.DecodeLastRuneInString(s)
	if len(words) > 0 && isSpace(trail) {
		c.space = true
	}
}

// push opens a tag lazily; pop closes it if it was ever written.
func (c *converter) push(open, close string) bool {
	if c.plain || c.literal > 0 {
		return false
	}
	c.tags = append(c.tags, tagEntry{open: open, close: close})
	return true
}

func (c *converter) pop() {
	e := c.tags[len(c.tags)-1]
	c.tags = c.tags[:len(c.tags)-1]
	if e.written {
		c.out.WriteString(e.close)
	}
}

func (c *converter) children(n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.walk(ch)
	}
}

// inline maps formatting elements to Telegram's tags.
var inline = map[atom.Atom]string{
	atom.B: "b", atom.Strong: "b",
	atom.I: "i", atom.Em: "i", atom.Cite: "i", atom.Var: "i", atom.Dfn: "i",
	atom.U: "u", atom.Ins: "u",
	atom.S: "s", atom.Strike: "s", atom.Del: "s",
}

func (c *converter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		c.text(n.Data)
		return
	case html.ElementNode, html.DocumentNode:
	default: // comments, doctypes
		return
	}
	if tag, ok := inline[n.DataAtom]; ok {
		pushed := c.push("<"+tag+">", "</"+tag+">")
		c.children(n)
		if pushed {
			c.pop()
		}
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template, atom.Iframe, atom.Object, atom.Svg:
		return
	case atom.Br:
		if c.last != 0 {
			c.breaks++
		}
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			c.text(" " + alt + " ")
		}
	case atom.Hr:
		c.lineBreak(2)
	case atom.A:
		href := strings.TrimSpace(attr(n, "href"))
		pushed := false
		if href != "" && safeURL(href) {
			pushed = c.push(`<a href="`+escapeAttr(href)+`">`, "</a>")
		}
		c.children(n)
		if pushed {
			c.pop()
		}
	case atom.Code, atom.Kbd, atom.Samp, atom.Tt:
		var pushed bool
		if c.pre > 0 {
			// <pre><code class="language-go"> is Telegram's code block form.
			if lang := languageOf(attr(n, "class")); lang != "" && len(c.tags) > 0 && !c.tags[len(c.tags)-1].written && c.tags[len(c.tags)-1].open == "<pre>" {
				c.literal--
				pushed = c.push(`<code class="language-`+lang+`">`, "</code>")
				c.literal++
			}
		} else {
			pushed = c.push("<code>", "</code>")
		}
		c.literal++
		c.children(n)
		c.literal--
		if pushed {
			c.pop()
		}
	case atom.Pre:
		c.lineBreak(2)
		pushed := c.push("<pre>", "</pre>")
		c.literal++
		c.pre++
		c.children(n)
		c.pre--
		c.literal--
		if pushed {
			c.pop()
		}
		c.lineBreak(2)
	case atom.Blockquote:
		c.lineBreak(2)
		pushed := c.push("<blockquote>", "</blockquote>")
		c.children(n)
		if pushed {
			c.pop()
		}
		c.lineBreak(2)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		c.lineBreak(2)
		pushed := c.push("<b>", "</b>")
		c.children(n)
		if pushed {
			c.pop()
		}
		c.lineBreak(2)
	case atom.Ul, atom.Ol:
		gap := 2
		if len(c.lists) > 0 {
			gap = 1
		}
		c.lineBreak(gap)
		l := listState{ordered: n.DataAtom == atom.Ol}
		if start, err := strconv.Atoi(attr(n, "start")); err == nil && l.ordered {
			l.n = start - 1
		}
		c.lists = append(c.lists, l)
		c.children(n)
		c.lists = c.lists[:len(c.lists)-1]
		c.lineBreak(gap)
	case atom.Li:
		c.lineBreak(1)
		bullet := "• "
		depth := len(c.lists)
		if depth > 0 {
			l := &c.lists[depth-1]
			if l.ordered {
				l.n++
				bullet = strconv.Itoa(l.n) + ". "
			}
		}
		c.space = false
		c.emit(strings.Repeat("  ", max(depth-1, 0)) + bullet)
		c.children(n)
		c.lineBreak(1)
	case atom.P, atom.Table, atom.Dl, atom.Figure, atom.Address, atom.Section, atom.Article,
		atom.Header, atom.Footer, atom.Aside, atom.Nav, atom.Main:
		c.lineBreak(2)
		c.children(n)
		c.lineBreak(2)
	case atom.Div, atom.Tr, atom.Dt, atom.Dd, atom.Caption, atom.Figcaption, atom.Details, atom.Summary:
		c.lineBreak(1)
		c.children(n)
		c.lineBreak(1)
	case atom.Td, atom.Th:
		c.space = true
		c.children(n)
		c.space = true
	default:
		c.children(n)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// languageOf finds "language-go" (or "lang-go") in a class attribute.
func languageOf(class string) string {
	for _, f := range strings.Fields(class) {
		for _, p := range []string{"language-", "lang-"} {
			if lang, ok := strings.CutPrefix(f, p); ok {
				return cleanLanguage(lang)
			}
		}
	}
	return ""
}
