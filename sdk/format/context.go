package format

import (
	"strings"

	"github.com/parley-dev/parley/sdk"
)

// TextWithContext is a message's text for a desk that shows only plain
// text: the text (or the host's summary of a non-text message) preceded by
// what an agent would otherwise miss — that it is an edit, who it was
// forwarded from, and which earlier message it answers.
func TextWithContext(m sdk.Message) string {
	var lines []string
	if m.EditOf != "" {
		lines = append(lines, "✏️ Edited message:")
	}
	if f := m.Forward; f != nil && f.From != "" {
		lines = append(lines, "↪️ Forwarded from "+f.From+":")
	}
	if q := m.ReplyTo; q != nil && q.Text != "" {
		who := "their earlier message"
		if q.FromBot {
			who = "your answer"
		}
		lines = append(lines, "↩️ In reply to "+who+": «"+Truncate(oneLine(q.Text), 200)+"»")
	}
	if len(lines) == 0 {
		return m.Text
	}
	return strings.Join(append(lines, m.Text), "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
