package format

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLToTelegram(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs blank-line separated", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"help scout divs and blank div", "<div>Hi Ivan,</div><div><br></div><div>Ships today.</div>", "Hi Ivan,\n\nShips today."},
		{"br breaks lines", "a<br>b<br/><br>c", "a\nb\n\nc"},
		{"entities decoded and re-escaped", "<p>Tom &amp; Jerry &lt;3&nbsp;you &quot;x&quot;</p>", "Tom &amp; Jerry &lt;3 you \"x\""},
		{"formatting tags mapped", "<strong>b</strong> <em>i</em> <u>u</u> <del>d</del> <strike>s</strike> <code>c</code>", "<b>b</b> <i>i</i> <u>u</u> <s>d</s> <s>s</s> <code>c</code>"},
		{"unordered list", "<ul><li>one</li><li>two</li></ul>", "• one\n• two"},
		{"ordered list with start", "<p>Steps:</p><ol start=\"3\"><li>a</li><li>b</li></ol><p>done</p>", "Steps:\n\n3. a\n4. b\n\ndone"},
		{"nested lists indent", "<ul><li>a<ul><li>a1</li></ul></li><li>b</li></ul>", "• a\n  • a1\n• b"},
		{"link kept, attribute escaped", `<a href="https://x.io/?a=1&amp;b=&quot;2&quot;">go</a>`, `<a href="https://x.io/?a=1&amp;b=&quot;2&quot;">go</a>`},
		{"unsafe link dropped keeping text", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"script and style dropped with content", "<style>p{}</style>hi<script>alert('x')</script> there", "hi there"},
		{"unknown tags dropped keeping text", "<span class=x>a</span><font>b</font> <custom>c</custom>", "ab c"},
		{"source whitespace collapsed", "<p>  lots\n  of\t\tspace  </p>", "lots of space"},
		{"pre keeps whitespace, no inner tags", "<pre>a  <b>b</b>\n  c &lt; d</pre>", "<pre>a  b\n  c &lt; d</pre>"},
		{"code block language", `<pre><code class="language-go">x := 1</code></pre>`, `<pre><code class="language-go">x := 1</code></pre>`},
		{"blockquote", "<blockquote><p>q1</p><p>q2</p></blockquote><p>after</p>", "<blockquote>q1\n\nq2</blockquote>\n\nafter"},
		{"empty tags vanish", "<p><b></b></p><p>text<i> </i></p>", "text"},
		{"unclosed tags are closed", "<b>bold <i>both", "<b>bold <i>both</i></b>"},
		{"headings bold", "<h2>Title</h2>body", "<b>Title</b>\n\nbody"},
		{"image alt text", `see <img src="x.png" alt="diagram"> here`, "see diagram here"},
		{"plain text passes through escaped", "a < b", "a &lt; b"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HTMLToTelegram(tc.in)
			if got != tc.want {
				t.Errorf("HTMLToTelegram(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			assertBalanced(t, got)
		})
	}
}

func TestStripHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>a &amp; <b>b</b></p><p>c</p>", "a & b\n\nc"},
		{"<ul><li>x</li><li>y</li></ul>", "• x\n• y"},
		{"x<script>var a = '<b>';</script>y", "xy"},
		{"no tags &lt;here&gt;", "no tags <here>"},
	}
	for _, tc := range tests {
		if got := StripHTML(tc.in); got != tc.want {
			t.Errorf("StripHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSlackMrkdwnToTelegramHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bold italic strike", "*bold* _italic_ ~gone~", "<b>bold</b> <i>italic</i> <s>gone</s>"},
		{"nested", "*bold _and italic_*", "<b>bold <i>and italic</i></b>"},
		{"inline code is literal", "run `rm *.tmp` now", "run <code>rm *.tmp</code> now"},
		{"pre block", "```line 1\n*not bold* &lt;b&gt;\n```", "<pre>line 1\n*not bold* &lt;b&gt;\n</pre>"},
		{"link with label", "see <https://x.io/?a=1&amp;b=2|the docs>", `see <a href="https://x.io/?a=1&amp;b=2">the docs</a>`},
		{"bare link", "<https://x.io>", `<a href="https://x.io">https://x.io</a>`},
		{"mailto", "<mailto:a@x.io|a@x.io>", `<a href="mailto:a@x.io">a@x.io</a>`},
		{"user mention with name", "hi <@U123|anna>", "hi @anna"},
		{"user mention without name", "hi <@U123>", "hi @U123"},
		{"channel mention", "in <#C123|general> and <#C9>", "in #general and #C9"},
		{"special mentions", "<!here> <!channel> <!subteam^S1|@support>", "@here @channel @support"},
		{"escapes decoded and re-escaped", "1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 &lt; 2 &amp;&amp; 3 &gt; 2"},
		{"snake_case stays", "use snake_case_name and 2*3*4", "use snake_case_name and 2*3*4"},
		{"markers need non-space inside", "a * b * c", "a * b * c"},
		{"markers do not span lines", "*open\nclose*", "*open\nclose*"},
		{"bold around a link", "*see <https://x.io|this>*", `<b>see <a href="https://x.io">this</a></b>`},
		{"unsafe link is text", "<javascript:alert(1)|click>", "click"},
		{"stray angle bracket", "a > b", "a &gt; b"},
		{"unterminated control sequence", "a <b", "a &lt;b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SlackMrkdwnToTelegramHTML(tc.in)
			if got != tc.want {
				t.Errorf("SlackMrkdwnToTelegramHTML(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			assertBalanced(t, got)
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"fits", "short", 10, []string{"short"}},
		{"paragraphs first", "First paragraph.\n\nSecond one here.", 30, []string{"First paragraph.", "Second one here."}},
		{"then lines", "line one\nline two\nline three", 20, []string{"line one\nline two", "line three"}},
		{"then sentences", "One two. Three four five.", 15, []string{"One two.", "Three four", "five."}},
		{"then words", "alpha beta gamma delta", 11, []string{"alpha beta", "gamma delta"}},
		{"hard cut inside a long word", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"runes, not bytes", "ёжик ёжик ёжик", 9, []string{"ёжик ёжик", "ёжик"}},
		{"emoji never cut", "🙂🙂🙂🙂🙂", 2, []string{"🙂🙂", "🙂🙂", "🙂"}},
		{"whitespace only", "   \n ", 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.in, tc.limit)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			for _, p := range got {
				if n := utf8.RuneCountInString(p); n > tc.limit || !utf8.ValidString(p) {
					t.Errorf("part %q has %d runes (limit %d) or invalid UTF-8", p, n, tc.limit)
				}
			}
		})
	}
}

func TestSplitLongTextKeepsAllWords(t *testing.T) {
	words := strings.Fields(strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 300))
	text := strings.Join(words, " ")
	parts := Split(text, MessageLimit)
	if len(parts) < 4 {
		t.Fatalf("got %d parts for %d runes", len(parts), utf8.RuneCountInString(text))
	}
	var back []string
	for _, p := range parts {
		if utf8.RuneCountInString(p) > MessageLimit {
			t.Fatalf("part over the limit: %d", utf8.RuneCountInString(p))
		}
		if !strings.HasSuffix(p, ".") {
			t.Errorf("part does not end at a sentence: %q", p[len(p)-20:])
		}
		back = append(back, strings.Fields(p)...)
	}
	if strings.Join(back, " ") != text {
		t.Error("words lost or reordered by Split")
	}
}

func TestSplitHTML(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"fits", "<b>hi</b>", 5, []string{"<b>hi</b>"}},
		{
			"tags closed and reopened", "<b>one two <i>three four</i> five</b>", 10,
			[]string{"<b>one two</b>", "<b><i>three four</i></b>", "<b>five</b>"},
		},
		{
			"entities count as one and are never cut", "&amp;&amp;&amp; &lt;&lt;", 3,
			[]string{"&amp;&amp;&amp;", "&lt;&lt;"},
		},
		{
			"link attributes survive", `<a href="https://x.io/?a=1&amp;b=2">click here</a> and more`, 10,
			[]string{`<a href="https://x.io/?a=1&amp;b=2">click here</a>`, "and more"},
		},
		{"pre split keeps pre", "<pre>line1\nline2</pre>", 6, []string{"<pre>line1</pre>", "<pre>line2</pre>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitHTML(tc.in, tc.limit)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("SplitHTML(%q, %d)\n got %q\nwant %q", tc.in, tc.limit, got, tc.want)
			}
			for _, p := range got {
				if n := utf8.RuneCountInString(assertBalanced(t, p)); n > tc.limit {
					t.Errorf("part %q shows %d characters, limit %d", p, n, tc.limit)
				}
			}
		})
	}
}

func TestSplitHTMLOfLongConvertedBody(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		b.WriteString("<p>Paragraph with <b>bold &amp; <i>italic</i></b> text and a <a href=\"https://x.io/?q=1&amp;r=2\">link</a>.</p>")
	}
	tg := HTMLToTelegram(b.String())
	parts := SplitHTML(tg, 1024)
	if len(parts) < 2 {
		t.Fatalf("got %d parts", len(parts))
	}
	var visible []string
	for _, p := range parts {
		text := assertBalanced(t, p)
		if n := utf8.RuneCountInString(text); n > 1024 {
			t.Fatalf("part shows %d characters", n)
		}
		visible = append(visible, strings.Fields(text)...)
	}
	if want := strings.Fields(StripHTML(tg)); strings.Join(visible, " ") != strings.Join(want, " ") {
		t.Error("visible text changed by SplitHTML")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"hello world", 7, "hello…"},
		{"ёжики", 3, "ёж…"},
		{"abc", 0, ""},
	}
	for _, tc := range tests {
		got := Truncate(tc.in, tc.limit)
		if got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.limit {
			t.Errorf("Truncate(%q, %d) is over the limit", tc.in, tc.limit)
		}
	}
}

func TestHumanSize(t *testing.T) {
	tests := map[int64]string{
		0: "0 B", 512: "512 B", 1536: "1.5 KB", 25 << 20: "25.0 MB", 20<<20 + 1: "20.0 MB",
		1<<20 - 1: "1.0 MB", 3 << 30: "3.0 GB",
	}
	for in, want := range tests {
		if got := HumanSize(in); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestMapLink(t *testing.T) {
	tests := []struct {
		lat, lon float64
		want     string
	}{
		{52.52, 13.405, "https://www.openstreetmap.org/?mlat=52.52&mlon=13.405#map=16/52.52/13.405"},
		{-33.8688197, 151.2092955, "https://www.openstreetmap.org/?mlat=-33.86882&mlon=151.209296#map=16/-33.86882/151.209296"},
	}
	for _, tc := range tests {
		if got := MapLink(tc.lat, tc.lon); got != tc.want {
			t.Errorf("MapLink(%v, %v) = %q, want %q", tc.lat, tc.lon, got, tc.want)
		}
	}
}
