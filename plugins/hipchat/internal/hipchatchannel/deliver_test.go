package hipchatchannel_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/sdk"
)

func TestDeliverShowsHandleAndEscapesCustomerText(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"color": "purple"})
	tests := []struct {
		name, text string
		want       []string
		notWant    []string
	}{
		{"mentions stay text", "@all @here please", []string{"@all @here please"}, nil},
		{"emoticon stays text", "(shrug) ok", []string{"(shrug) ok"}, nil},
		{"markup is escaped", "<b>bold</b> & co", []string{"&lt;b&gt;bold&lt;/b&gt; &amp; co"}, []string{"<b>bold</b>"}},
		{"newlines become br", "line one\nline two", []string{"line one<br>line two"}, nil},
		{"emoji and RTL survive", "😀 مرحبا", []string{"😀 مرحبا"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.fake.Notifications(e.fake.RoomID()))
			resp, err := e.deliver(t, 42, sdk.Message{ID: tt.name, Kind: sdk.KindText, Text: tt.text})
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if string(resp.ThreadRef) != "42" {
				t.Errorf("thread ref %q, want the conversation number 42", resp.ThreadRef)
			}
			got := e.fake.Notifications(e.fake.RoomID())[before:]
			if len(got) != 1 {
				t.Fatalf("%d notifications, want 1", len(got))
			}
			n := got[0]
			if n.MessageFormat != "html" || n.Color != "purple" || !n.Notify || n.From != "Ivan Petrov" {
				t.Errorf("format %q color %q notify %v from %q", n.MessageFormat, n.Color, n.Notify, n.From)
			}
			if !strings.HasPrefix(n.Message, "<b>#42</b> Ivan Petrov (@ivan_p):<br>") {
				t.Errorf("message does not start with the handle and customer: %q", n.Message)
			}
			for _, w := range tt.want {
				if !strings.Contains(n.Message, w) {
					t.Errorf("message %q lacks %q", n.Message, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(n.Message, w) {
					t.Errorf("message %q contains %q", n.Message, w)
				}
			}
		})
	}
}

func TestDeliverFromLabelFitsHipChat(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	_, err := e.ch.Deliver(t.Context(), sdk.DeliverRequest{
		Conversation: sdk.Conversation{Number: 5},
		Contact:      sdk.Contact{FirstName: "Maximilian Alexander", LastName: "von Hohenzollern-Sigmaringen"},
		Message:      sdk.Message{ID: "m", Kind: sdk.KindText, Text: "hi"},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := e.fake.Notifications(e.fake.RoomID())[0]
	if c := utf8.RuneCountInString(n.From); c > 25 || !strings.HasPrefix(n.From, "Maximilian") {
		t.Errorf("from label %q (%d chars), want the name cut to 25", n.From, c)
	}
}

func TestDeliverFilesNoticesAndTooLarge(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	_, err := e.deliver(t, 7, sdk.Message{ID: "f", Kind: sdk.KindDocument, Text: "invoice", Attachments: []sdk.Attachment{
		{Name: "invoice.pdf", Size: 1536, URL: "https://parley.example/files/tok?a=1&b=2"},
		{Name: "video.mp4", Size: 25 << 20, TooLarge: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.deliver(t, 7, sdk.Message{ID: "n", Kind: sdk.KindNotice, Notice: &sdk.Notice{Code: sdk.NoticeUserBlocked, Text: "The user blocked the bot <sadly>."}}); err != nil {
		t.Fatal(err)
	}
	got := e.fake.Notifications(e.fake.RoomID())
	if len(got) != 3 {
		t.Fatalf("%d notifications, want message, too-large alert, notice", len(got))
	}
	if m := got[0].Message; !strings.Contains(m, `<a href="https://parley.example/files/tok?a=1&amp;b=2">invoice.pdf</a> (1.5 KB)`) {
		t.Errorf("file link missing: %q", m)
	}
	if a := got[1]; a.Color != "red" || !strings.Contains(a.Message, "<b>#7</b>") || !strings.Contains(a.Message, "video.mp4") || !strings.Contains(a.Message, "25.0 MB") {
		t.Errorf("too-large alert: color %q message %q", a.Color, a.Message)
	}
	if n := got[2]; n.Color != "gray" || n.Notify || n.Message != "<b>#7</b> The user blocked the bot &lt;sadly&gt;." {
		t.Errorf("notice: color %q notify %v message %q", n.Color, n.Notify, n.Message)
	}
}

func TestDeliverSplitsLongMessages(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	// 9,000 characters that escape to 45,000: over the limit only after escaping.
	text := strings.Repeat("&", 4000) + "\n" + strings.Repeat("word ", 1000)
	if _, err := e.deliver(t, 9, sdk.Message{ID: "long", Kind: sdk.KindText, Text: text}); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := e.fake.Notifications(e.fake.RoomID())
	if len(got) < 2 {
		t.Fatalf("%d notifications, want the message split", len(got))
	}
	amps := 0
	for i, n := range got {
		if c := utf8.RuneCountInString(n.Message); c > 10000 {
			t.Errorf("part %d has %d characters", i+1, c)
		}
		label := "<b>#9</b> Ivan Petrov (@ivan_p) (" + itoa(int64(i+1)) + "/" + itoa(int64(len(got))) + "):"
		if !strings.HasPrefix(n.Message, label) {
			t.Errorf("part %d starts %q, want %q", i+1, n.Message[:min(60, len(n.Message))], label)
		}
		amps += strings.Count(n.Message, "&amp;")
	}
	if amps != 4000 {
		t.Errorf("%d escaped ampersands across parts, want 4000 (nothing lost)", amps)
	}
}

func TestDeliverErrorsTellTheHostWhatToDo(t *testing.T) {
	tests := []struct {
		name      string
		fault     *hipchatfake.Fault
		revoke    bool
		permanent bool
		retry     time.Duration // minimum hint; 0 means no hint
	}{
		{name: "429 waits for the reset", fault: &hipchatfake.Fault{Path: "/notification$", Status: 429, RetryIn: 40 * time.Second}, retry: 30 * time.Second},
		{name: "500 is retried with backoff", fault: &hipchatfake.Fault{Path: "/notification$", Status: 500}},
		{name: "HTML 502 from a proxy is retried", fault: &hipchatfake.Fault{Path: "/notification$", Status: 502, HTML: true}},
		{name: "403 is permanent", fault: &hipchatfake.Fault{Path: "/notification$", Status: 403}, permanent: true},
		{name: "revoked token is permanent", revoke: true, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, hipchatfake.Options{}, nil)
			if tt.revoke {
				e.fake.ExpireToken(e.fake.Token())
			}
			if tt.fault != nil {
				tt.fault.Method = "POST"
				if err := e.fake.Inject(tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			_, err := e.deliver(t, 3, sdk.Message{ID: "x", Kind: sdk.KindText, Text: "hi"})
			if err == nil {
				t.Fatal("Deliver succeeded")
			}
			if got := sdk.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			d, hinted := sdk.RetryHint(err)
			if tt.retry > 0 && (!hinted || d < tt.retry || d > 41*time.Second) {
				t.Errorf("retry hint %v (%v), want about 40s", d, hinted)
			}
			if tt.retry == 0 && hinted {
				t.Errorf("unexpected retry hint %v", d)
			}
			if strings.Contains(err.Error(), e.fake.Token()) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestFloodControlBecomesRetryAfter(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{FloodLimit: 2}, nil)
	// Configure's auth_test probe counts against the room's flood window.
	if _, err := e.deliver(t, 1, sdk.Message{ID: "a", Kind: sdk.KindText, Text: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.deliver(t, 1, sdk.Message{ID: "b", Kind: sdk.KindText, Text: "two"})
	d, ok := sdk.RetryHint(err)
	if !ok || d <= 0 || d > time.Minute {
		t.Fatalf("err %v, hint %v %v: want a wait until the flood window resets", err, d, ok)
	}
	e.fake.Advance(time.Minute)
	if _, err := e.deliver(t, 1, sdk.Message{ID: "b", Kind: sdk.KindText, Text: "two"}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
