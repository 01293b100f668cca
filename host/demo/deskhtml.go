package demo

import (
	"html"
	"regexp"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The plugins write files into desk HTML in one shape, "📎 <a href=URL>name</a> (size)",
// and Help Scout's too-large alert as "⚠️ <b>name</b> (size) is too large…".
// Matching those shapes lifts them out, with the line break after them, as
// the pane's file links and alerts.
var (
	fileLinkRE = regexp.MustCompile(`📎 <a href="([^"]*)">([^<]*)</a>(?: \(([0-9.]+ [KMG]?B)\))?(?:<br>)?`)
	tooLargeRE = regexp.MustCompile(`⚠️ <b>([^<]*)</b>(?: \(([0-9.]+ [KMG]?B)\))? is too large[^<]*(?:<br>)?`)
)

// fromHTML turns the HTML a desk shows (a Help Scout thread, a HipChat
// notification) into the pane's plain text and files. The page renders text
// only (never HTML), so links keep their target in brackets.
func fromHTML(s string) (string, []deskFile) {
	var files []deskFile
	s = fileLinkRE.ReplaceAllStringFunc(s, func(m string) string {
		g := fileLinkRE.FindStringSubmatch(m)
		files = append(files, deskFile{Name: html.UnescapeString(g[2]), URL: html.UnescapeString(g[1]), Size: g[3]})
		return ""
	})
	s = tooLargeRE.ReplaceAllStringFunc(s, func(m string) string {
		g := tooLargeRE.FindStringSubmatch(m)
		files = append(files, deskFile{Name: html.UnescapeString(g[1]), Size: g[2], TooLarge: true})
		return ""
	})
	return htmlText(s), files
}

// htmlText is the visible text of an HTML fragment: <br> and block ends are
// line breaks, a link is its text followed by its target.
func htmlText(s string) string {
	nodes, err := xhtml.ParseFragment(strings.NewReader(s), &xhtml.Node{Type: xhtml.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		// The tokenizer accepts any input; keep the raw text rather than nothing.
		return s
	}
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.TextNode:
			b.WriteString(n.Data)
			return
		case xhtml.ElementNode:
			switch n.Data {
			case "br":
				b.WriteByte('\n')
				return
			case "script", "style":
				return
			case "li":
				b.WriteString("\n• ")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type != xhtml.ElementNode {
			return
		}
		switch n.Data {
		case "a":
			if href := attrOf(n, "href"); href != "" && !strings.Contains(textOf(n), href) {
				b.WriteString(" (" + href + ")")
			}
		case "p", "div", "blockquote", "ul", "ol", "pre":
			b.WriteByte('\n')
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return tidyLines(b.String())
}

// tidyLines trims each line, drops leading and trailing blank lines and
// keeps at most one blank line in a row.
func tidyLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

func attrOf(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *xhtml.Node) string {
	var b strings.Builder
	var walk func(*xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// toHTML is an agent's plain text as the HTML a desk stores: escaped, line
// breaks as <br>.
func toHTML(text string) string {
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")
}
