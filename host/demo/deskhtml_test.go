package demo

import (
	"reflect"
	"testing"
)

func TestFromHTML(t *testing.T) {
	tests := []struct {
		name, in string
		text     string
		files    []deskFile
	}{
		{
			name: "Help Scout thread with a file link and a location",
			in: `Is it <b>open</b>?<br>📎 <a href="http://127.0.0.1:9/files/abc?sig=x&amp;e=1">receipt &amp; co.txt</a> (24 B)<br>` +
				`📍 <a href="https://www.openstreetmap.org/?mlat=52.5&amp;mlon=13.3">Location</a>`,
			text:  "Is it open?\n📍 Location (https://www.openstreetmap.org/?mlat=52.5&mlon=13.3)",
			files: []deskFile{{Name: "receipt & co.txt", Size: "24 B", URL: "http://127.0.0.1:9/files/abc?sig=x&e=1"}},
		},
		{
			name:  "Help Scout too-large alert",
			in:    `⚠️ <b>site-recording.mp4</b> (48.0 MB) is too large for Telegram bots to fetch: ask the customer to send it another way.`,
			files: []deskFile{{Name: "site-recording.mp4", Size: "48.0 MB", TooLarge: true}},
		},
		{
			name: "HipChat notification with escaped customer text",
			in:   `<b>#7</b> Ann (@a):<br>1 &lt; 2 &amp; <i>so</i> @all`,
			text: "#7 Ann (@a):\n1 < 2 & so @all",
		},
		{
			name: "agent HTML with paragraphs and a list",
			in:   `<p>Hi</p><p></p><ul><li>one</li><li>two</li></ul>`,
			text: "Hi\n\n• one\n• two",
		},
		{
			name: "a link showing its own address",
			in:   `see <a href="https://x.example/">https://x.example/</a>`,
			text: "see https://x.example/",
		},
		{
			name: "script is not text",
			in:   `ok<script>alert(1)</script>`,
			text: "ok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, files := fromHTML(tt.in)
			if text != tt.text {
				t.Errorf("text = %q, want %q", text, tt.text)
			}
			if !reflect.DeepEqual(files, tt.files) {
				t.Errorf("files = %+v, want %+v", files, tt.files)
			}
		})
	}
}

func TestToHTMLRoundTrips(t *testing.T) {
	for _, s := range []string{"plain", "two\nlines", "<b>not bold</b> & co", "a\n\nb"} {
		if got := htmlText(toHTML(s)); got != s {
			t.Errorf("htmlText(toHTML(%q)) = %q", s, got)
		}
	}
}
