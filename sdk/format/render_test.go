package format

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parley-dev/parley/sdk"
	"golang.org/x/net/html"
)

func ent(typ string, off, n int) sdk.Entity { return sdk.Entity{Type: typ, Offset: off, Length: n} }

func TestEscapeHTML(t *testing.T) {
	for in, want := range map[string]string{
		`a & b`:                `a &amp; b`,
		`<script>"x"</script>`: `&lt;script&gt;"x"&lt;/script&gt;`,
		`&amp;`:                `&amp;amp;`,
		"plain ünïcode 🙂":      "plain ünïcode 🙂",
	} {
		if got := EscapeHTML(in); got != want {
			t.Errorf("EscapeHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderers(t *testing.T) {
	link := sdk.Entity{Type: "text_link", Offset: 6, Length: 4, URL: "https://example.com/?a=1&b=2"}
	tests := []struct {
		name                         string
		text                         string
		entities                     []sdk.Entity
		telegram, slack, html, markd string
	}{
		{
			name: "no entities, special characters escaped",
			text: "1 < 2 & *x* _y_", telegram: "1 &lt; 2 &amp; *x* _y_", slack: "1 &lt; 2 &amp; *x* _y_",
			html: "1 &lt; 2 &amp; *x* _y_", markd: `1 \< 2 & \*x\* \_y\_`,
		},
		{
			name: "bold and italic", text: "Hello world", entities: []sdk.Entity{ent("bold", 0, 5), ent("italic", 6, 5)},
			telegram: "<b>Hello</b> <i>world</i>", slack: "*Hello* _world_",
			html: "<strong>Hello</strong> <em>world</em>", markd: "**Hello** *world*",
		},
		{
			name: "link with ampersand in url", text: "visit here now", entities: []sdk.Entity{link},
			telegram: `visit <a href="https://example.com/?a=1&amp;b=2">here</a> now`,
			slack:    `visit <https://example.com/?a=1&amp;b=2|here> now`,
			html:     `visit <a href="https://example.com/?a=1&amp;b=2">here</a> now`,
			markd:    `visit [here](https://example.com/?a=1&b=2) now`,
		},
		{
			name: "javascript link rendered as text", text: "click",
			entities: []sdk.Entity{{Type: "text_link", Offset: 0, Length: 5, URL: "javascript:alert(1)"}},
			telegram: "click", slack: "click", html: "click", markd: "click",
		},
		{
			name: "nested entities inside bold", text: "very important note",
			entities: []sdk.Entity{ent("bold", 0, 19), ent("italic", 5, 9)},
			telegram: "<b>very <i>important</i> note</b>", slack: "*very _important_ note*",
			html: "<strong>very <em>important</em> note</strong>", markd: "**very *important* note**",
		},
		{
			name: "overlapping entities are closed and reopened", text: "abcdefgh",
			entities: []sdk.Entity{ent("bold", 0, 5), ent("italic", 3, 5)},
			telegram: "<b>abc<i>de</i></b><i>fgh</i>", slack: "*abc_de_*_fgh_",
			html: "<strong>abc<em>de</em></strong><em>fgh</em>", markd: "**abc*de****fgh*",
		},
		{
			name: "nothing inside code", text: "x := a<b",
			entities: []sdk.Entity{ent("code", 0, 8), ent("bold", 2, 2)},
			telegram: "<code>x := a&lt;b</code>", slack: "`x := a&lt;b`",
			html: "<code>x := a&lt;b</code>", markd: "`x := a<b`",
		},
		{
			name: "pre with language", text: "func main() {}\n",
			entities: []sdk.Entity{{Type: "pre", Offset: 0, Length: 15, Language: "go"}},
			telegram: "<pre><code class=\"language-go\">func main() {}\n</code></pre>", slack: "```func main() {}\n```",
			html: "<pre>func main() {}\n</pre>", markd: "```go\nfunc main() {}\n```",
		},
		{
			name: "spaces kept outside markers", text: "say hello there",
			entities: []sdk.Entity{ent("bold", 3, 7)},
			telegram: "say<b> hello </b>there", slack: "say *hello* there",
			html: "say<strong> hello </strong>there", markd: "say **hello** there",
		},
		{
			name: "newlines and quote", text: "quoted\nline",
			entities: []sdk.Entity{ent("blockquote", 0, 11)},
			telegram: "<blockquote>quoted\nline</blockquote>", slack: "> quoted\n> line",
			html: "<blockquote>quoted<br>line</blockquote>", markd: "> quoted\n> line",
		},
		{
			name: "offsets count runes not bytes", text: "Привет 🙂 мир",
			entities: []sdk.Entity{ent("bold", 9, 3)},
			telegram: "Привет 🙂 <b>мир</b>", slack: "Привет 🙂 *мир*",
			html: "Привет 🙂 <strong>мир</strong>", markd: "Привет 🙂 **мир**",
		},
		{
			name: "entities out of range are clamped or dropped", text: "abc",
			entities: []sdk.Entity{ent("bold", -2, 4), ent("italic", 2, 100), ent("code", 7, 2), ent("underline", 1, 0)},
			telegram: "<b>ab</b><i>c</i>", slack: "*ab*_c_", html: "<strong>ab</strong><em>c</em>", markd: "**ab***c*",
		},
		{
			name: "unknown entity types are plain text", text: "@anna #tag",
			entities: []sdk.Entity{ent("mention", 0, 5), ent("hashtag", 6, 4)},
			telegram: "@anna #tag", slack: "@anna #tag", html: "@anna #tag", markd: "@anna #tag",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check := func(name, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s:\n got %q\nwant %q", name, got, want)
				}
			}
			check("ToTelegramHTML", ToTelegramHTML(tc.text, tc.entities), tc.telegram)
			check("ToSlackMrkdwn", ToSlackMrkdwn(tc.text, tc.entities), tc.slack)
			check("ToHTML", ToHTML(tc.text, tc.entities), tc.html)
			check("ToMarkdown", ToMarkdown(tc.text, tc.entities), tc.markd)
		})
	}
}

// TestRenderedHTMLIsWellFormed throws random, overlapping entities at the
// HTML renderers: the tags must always balance and the visible text must be
// exactly the input.
func TestRenderedHTMLIsWellFormed(t *testing.T) {
	types := []string{"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link", "blockquote", "url", "mention"}
	rng := rand.New(rand.NewPCG(1, 2))
	text := "Hello <world> & friends, ünïcode 🙂 text\nsecond line"
	n := len([]rune(text))
	for i := 0; i < 500; i++ {
		var ents []sdk.Entity
		for k := rng.IntN(6); k > 0; k-- {
			off := rng.IntN(n)
			ents = append(ents, sdk.Entity{Type: types[rng.IntN(len(types))], Offset: off, Length: 1 + rng.IntN(n-off), URL: "https://example.com/x"})
		}
		for name, out := range map[string]string{"telegram": ToTelegramHTML(text, ents), "html": ToHTML(text, ents)} {
			visible := assertBalanced(t, out)
			want := text
			if name == "html" {
				visible = strings.ReplaceAll(visible, "<br>", "\n")
				want = strings.ReplaceAll(text, "\n", "")
				visible = strings.ReplaceAll(visible, "\n", "")
			}
			if visible != want {
				t.Fatalf("%s: entities %+v: visible text %q, want %q (output %q)", name, ents, visible, want, out)
			}
		}
	}
}

// assertBalanced checks every tag in s is closed in order and returns the
// visible text.
func assertBalanced(t *testing.T, s string) string {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(s))
	var stack []string
	var text strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			if len(stack) > 0 {
				t.Fatalf("unclosed tags %v in %q", stack, s)
			}
			return text.String()
		case html.TextToken:
			text.Write(z.Text())
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) == "br" {
				text.WriteString("\n")
				continue
			}
			stack = append(stack, string(name))
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("tag </%s> closes %v in %q", name, stack, s)
			}
			stack = stack[:len(stack)-1]
		}
	}
}
