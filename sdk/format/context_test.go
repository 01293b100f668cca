package format

import (
	"strings"
	"testing"

	"github.com/parley-dev/parley/sdk"
)

func TestTextWithContext(t *testing.T) {
	cases := []struct {
		name string
		m    sdk.Message
		want []string
	}{
		{"plain", sdk.Message{Text: "hello"}, []string{"hello"}},
		{"edit", sdk.Message{Text: "fixed", EditOf: "tg:1:2"}, []string{"Edited", "fixed"}},
		{"forward", sdk.Message{Text: "look", Forward: &sdk.Forward{From: "Dan"}}, []string{"Forwarded from Dan", "look"}},
		{"reply to bot", sdk.Message{Text: "thanks", ReplyTo: &sdk.Quote{Text: "Try\nrestarting", FromBot: true}}, []string{"your answer", "«Try restarting»", "thanks"}},
	}
	for _, c := range cases {
		got := TextWithContext(c.m)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		if !strings.HasSuffix(got, c.m.Text) {
			t.Errorf("%s: %q does not end with the message text", c.name, got)
		}
	}
	if got := TextWithContext(sdk.Message{Text: "x"}); got != "x" {
		t.Errorf("no context added where none is needed: %q", got)
	}
}
