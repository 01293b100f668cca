package helpscoutchannel

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// quoteHeader matches the line mail clients put above quoted history.
var quoteHeader = regexp.MustCompile(`(?i)^\s*(on\s.{3,300}\swrote:|-----\s*original message\s*-----)\s*$`)

// cleanReplyHTML removes what an agent did not write for the customer
// (quoted e-mail history, signatures) and marks inline images, before
// format.HTMLToTelegram turns the rest into Telegram HTML. Replies typed in
// the Help Scout UI have neither; replies sent from a mail client do.
func cleanReplyHTML(s string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return s
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	clean(root)
	var b strings.Builder
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		if err := html.Render(&b, n); err != nil {
			return s
		}
	}
	return b.String()
}

// clean walks the tree; it returns true when everything after the current
// node must go (a quote header or signature delimiter was found).
func clean(n *html.Node) bool {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == html.ElementNode && isQuoteOrSignature(c):
			n.RemoveChild(c)
		case c.Type == html.ElementNode && c.DataAtom == atom.Img:
			img := &html.Node{Type: html.TextNode, Data: "[image]"}
			n.InsertBefore(img, c)
			n.RemoveChild(c)
		case c.Type == html.TextNode && (quoteHeader.MatchString(c.Data) || c.Data == "-- " || strings.TrimRight(c.Data, "\r\n") == "-- "):
			removeFrom(n, c)
			return true
		case c.Type == html.ElementNode:
			if clean(c) {
				removeFrom(n, next)
				return true
			}
		}
		c = next
	}
	return false
}

// removeFrom removes c and every later sibling.
func removeFrom(parent, c *html.Node) {
	for c != nil {
		next := c.NextSibling
		parent.RemoveChild(c)
		c = next
	}
}

// isQuoteOrSignature recognises the markup mail clients wrap quoted
// history and signatures in.
func isQuoteOrSignature(n *html.Node) bool {
	for _, a := range n.Attr {
		v := strings.ToLower(a.Val)
		switch a.Key {
		case "class", "id":
			for _, marker := range []string{"gmail_quote", "gmail_signature", "signature", "moz-cite-prefix", "yahoo_quoted", "divrplyfwdmsg", "appendonsend", "hs_quote", "hs-signature"} {
				if strings.Contains(v, marker) {
					return true
				}
			}
		case "type":
			if n.DataAtom == atom.Blockquote && v == "cite" {
				return true
			}
		}
	}
	return false
}
