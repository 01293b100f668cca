package sender_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/sender"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

const (
	ann = int64(5551234)
	bob = int64(5551235)
)

// fast keeps the limits out of the way of tests that are not about them.
var fast = sender.Options{
	PerChatInterval: time.Millisecond, PerChatBurst: 100, GlobalRate: 10000,
	BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
}

type env struct {
	fake *telegramtest.Server
	bot  *telego.Bot
	obs  *recorder
}

func setup(t *testing.T) *env {
	t.Helper()
	fake := telegramtest.New(telegramtest.Options{})
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	fake.AddUser(telego.User{ID: ann, FirstName: "Ann"})
	fake.AddUser(telego.User{ID: bob, FirstName: "Bob"})
	bot, err := telego.NewBot(fake.Token(), telego.WithAPIServer(fake.URL()),
		telego.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, bot: bot, obs: &recorder{}}
}

func (e *env) sender(o sender.Options) *sender.Sender {
	o.Observer = e.obs
	return sender.New(e.bot, o)
}

// recorder is an Observer that keeps every call in order.
type recorder struct {
	mu     sync.Mutex
	events []event
}

type event struct {
	method, result string
	at             time.Time
}

func (r *recorder) Call(method, result string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{method, result, time.Now()})
}

func (r *recorder) results() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.method+":"+e.result)
	}
	return out
}

// files serves attachments from memory and counts how often each is opened.
type files struct {
	mu     sync.Mutex
	data   map[string][]byte
	info   map[string]sdk.FileInfo
	opened map[string]int
}

func newFiles() *files {
	return &files{data: map[string][]byte{}, info: map[string]sdk.FileInfo{}, opened: map[string]int{}}
}

func (f *files) add(ref string, data []byte, info sdk.FileInfo) sdk.ReplyAttachment {
	f.data[ref], f.info[ref] = data, info
	return sdk.ReplyAttachment{Ref: ref, Name: info.Name, MIMEType: info.MIMEType, Size: info.Size}
}

func (f *files) open(_ context.Context, a sdk.ReplyAttachment) (io.ReadCloser, sdk.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened[a.Ref]++
	d, ok := f.data[a.Ref]
	if !ok {
		return nil, sdk.FileInfo{}, sdk.Permanent(errors.New("no such file"))
	}
	return io.NopCloser(bytes.NewReader(d)), f.info[a.Ref], nil
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func TestTextArrivesAsWritten(t *testing.T) {
	tests := []struct {
		name      string
		reply     sdk.Reply
		parseMode string
		shown     string // the text the user sees
		entities  []telego.MessageEntity
	}{
		{
			name:  "plain text with markup characters",
			reply: sdk.Reply{Text: "if a < b && c > d then *bold* <b>not</b>"},
			shown: "if a < b && c > d then *bold* <b>not</b>",
		},
		{
			name:  "plain emoji",
			reply: sdk.Reply{Text: "Thanks 🙏🏽 — ✅ done 𝐁"},
			shown: "Thanks 🙏🏽 — ✅ done 𝐁",
		},
		{
			name:      "HTML",
			reply:     sdk.Reply{Text: "<b>Order</b> 😀 is &lt;ready&gt; &amp; <i>paid</i>", Format: sdk.FormatTelegramHTML},
			parseMode: "HTML",
			shown:     "Order 😀 is <ready> & paid",
			entities:  []telego.MessageEntity{{Type: "bold", Offset: 0, Length: 5}, {Type: "italic", Offset: 22, Length: 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			res, err := e.sender(fast).SendReply(t.Context(), ann, tt.reply, nil)
			if err != nil {
				t.Fatal(err)
			}
			sent := e.fake.SentTo(ann)
			if len(sent) != 1 || len(res.MessageIDs) != 1 || res.MessageIDs[0] != int64(sent[0].MessageID) {
				t.Fatalf("sent %d messages, result ids %v", len(sent), res.MessageIDs)
			}
			m := sent[0]
			if m.Method != "sendMessage" || m.ParseMode != tt.parseMode || m.Message.Text != tt.shown {
				t.Errorf("got %s parse_mode=%q text %q; want parse_mode=%q text %q", m.Method, m.ParseMode, m.Message.Text, tt.parseMode, tt.shown)
			}
			if len(tt.entities) > 0 && !equalEntities(m.Message.Entities, tt.entities) {
				t.Errorf("entities %+v, want %+v", m.Message.Entities, tt.entities)
			}
		})
	}
}

func equalEntities(a, b []telego.MessageEntity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Offset != b[i].Offset || a[i].Length != b[i].Length {
			return false
		}
	}
	return true
}

func TestLongTextIsSplit(t *testing.T) {
	para := strings.Repeat("All work and no play. ", 100) // 2,200 characters
	tests := []struct {
		name   string
		reply  sdk.Reply
		parts  int
		joined string // the visible text of all parts, whitespace removed
	}{
		{
			name:  "5,000 characters in paragraphs",
			reply: sdk.Reply{Text: para + "\n\n" + para + "\n\n" + para[:600]},
			parts: 2,
		},
		{
			name:  "HTML keeps tags balanced in every part",
			reply: sdk.Reply{Text: "<b>" + para + "\n\n" + para + "</b>\n\n<i>" + para[:600] + "</i>", Format: sdk.FormatTelegramHTML},
			parts: 2,
		},
		{
			// 3,000 emoji are 6,000 UTF-16 units, which is what Telegram counts.
			name:  "emoji count double",
			reply: sdk.Reply{Text: strings.Repeat("😀 ", 1500) + strings.Repeat("🎉 ", 1500)},
			parts: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			res, err := e.sender(fast).SendReply(t.Context(), ann, tt.reply, nil)
			if err != nil {
				t.Fatal(err)
			}
			sent := e.fake.SentTo(ann)
			if len(sent) != tt.parts || len(res.MessageIDs) != tt.parts {
				t.Fatalf("sent %d messages (ids %v), want %d", len(sent), res.MessageIDs, tt.parts)
			}
			var got strings.Builder
			for _, m := range sent {
				if n := utf16Len(m.Message.Text); n > 4096 {
					t.Errorf("a part is %d UTF-16 units long", n)
				}
				got.WriteString(m.Message.Text)
			}
			want := tt.reply.Text
			if tt.reply.Format == sdk.FormatTelegramHTML {
				want = strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "").Replace(want)
			}
			if strip(got.String()) != strip(want) {
				t.Errorf("the parts do not add up to the reply")
			}
		})
	}
}

func strip(s string) string { return strings.Join(strings.Fields(s), "") }

func TestRejectedHTMLIsResentAsPlainTextOnce(t *testing.T) {
	e := setup(t)
	s := e.sender(fast)
	res, err := s.SendReply(t.Context(), ann, sdk.Reply{Text: "<b>Total</i>: 5 < 6", Format: sdk.FormatTelegramHTML}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentTo(ann)
	if len(sent) != 1 || len(res.MessageIDs) != 1 {
		t.Fatalf("sent %d messages", len(sent))
	}
	if sent[0].ParseMode != "" || sent[0].Message.Text != "Total: 5 < 6" {
		t.Errorf("resent with parse_mode %q as %q", sent[0].ParseMode, sent[0].Message.Text)
	}
	if got := e.obs.results(); strings.Join(got, " ") != "sendMessage:rejected sendMessage:ok" {
		t.Errorf("calls %v; want one rejection then the plain text", got)
	}

	// When the plain text is refused too, that is the end of it.
	e.fake.Inject(telegramtest.Fault{Method: "sendMessage", Status: 400, Times: -1,
		Description: "Bad Request: can't parse entities: Unsupported start tag"})
	_, err = s.SendReply(t.Context(), ann, sdk.Reply{Text: "<b>x</i>", Format: sdk.FormatTelegramHTML}, nil)
	if !sdk.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	if n := e.fake.Calls("sendMessage"); n != 4 {
		t.Errorf("sendMessage called %d times in all, want 4 (2 + 2)", n)
	}
}

func TestAttachmentMethods(t *testing.T) {
	bigPNG := append(pngImage(t, 40, 30), make([]byte, 11<<20)...)
	opus := append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13"), []byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")...)
	tests := []struct {
		name   string
		data   []byte
		info   sdk.FileInfo
		method string
		field  string
	}{
		{"png photo", pngImage(t, 64, 48), sdk.FileInfo{Name: "screen.png", MIMEType: "image/png"}, "sendPhoto", "photo"},
		{"photo over 10 MB goes as a document", bigPNG, sdk.FileInfo{Name: "big.png", MIMEType: "image/png"}, "sendDocument", "document"},
		{"photo too narrow for Telegram goes as a document", pngImage(t, 2100, 100), sdk.FileInfo{Name: "strip.png", MIMEType: "image/png"}, "sendDocument", "document"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), sdk.FileInfo{Name: "a.gif", MIMEType: "image/gif"}, "sendDocument", "document"},
		{"mp4 video", []byte("\x00\x00\x00\x18ftypmp42 video"), sdk.FileInfo{Name: "clip.mp4", MIMEType: "video/mp4"}, "sendVideo", "video"},
		{"ogg opus voice", opus, sdk.FileInfo{Name: "note.ogg", MIMEType: "audio/ogg"}, "sendVoice", "voice"},
		{"mp3 audio", []byte("ID3\x03\x00 some mp3"), sdk.FileInfo{Name: "song.mp3", MIMEType: "audio/mpeg"}, "sendAudio", "audio"},
		{"pdf", []byte("%PDF-1.7 report"), sdk.FileInfo{Name: "Prüfbericht.pdf", MIMEType: "application/pdf"}, "sendDocument", "document"},
		{"unknown type is sniffed", pngImage(t, 10, 10), sdk.FileInfo{Name: "noext"}, "sendPhoto", "photo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			fs := newFiles()
			a := fs.add("r1", tt.data, tt.info)
			res, err := e.sender(fast).SendReply(t.Context(), ann, sdk.Reply{Text: "here you go", Attachments: []sdk.ReplyAttachment{a}}, fs.open)
			if err != nil {
				t.Fatal(err)
			}
			sent := e.fake.SentTo(ann)
			if len(sent) != 1 || len(res.Failed) != 0 {
				t.Fatalf("sent %d, failed %+v; want the file with its caption", len(sent), res.Failed)
			}
			m := sent[0]
			if m.Method != tt.method || m.Caption != "here you go" || len(m.Files) != 1 {
				t.Fatalf("got %s caption %q files %d; want %s with the caption", m.Method, m.Caption, len(m.Files), tt.method)
			}
			f := m.Files[0]
			if f.Field != tt.field || f.Name != tt.info.Name || !bytes.Equal(f.Data, tt.data) {
				t.Errorf("part %q named %q with %d bytes; want %q named %q with %d bytes",
					f.Field, f.Name, len(f.Data), tt.field, tt.info.Name, len(tt.data))
			}
		})
	}
}

func TestFileTooLargeIsReportedAndTextStillGoes(t *testing.T) {
	e := setup(t)
	fs := newFiles()
	huge := sdk.ReplyAttachment{Ref: "huge", Name: "backup.zip", MIMEType: "application/zip", Size: 60 << 20}
	small := fs.add("small", []byte("%PDF-1.7"), sdk.FileInfo{Name: "invoice.pdf", MIMEType: "application/pdf"})
	res, err := e.sender(fast).SendReply(t.Context(), ann,
		sdk.Reply{Text: "Both files attached", Attachments: []sdk.ReplyAttachment{huge, small}}, fs.open)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 1 || res.Failed[0].Name != "backup.zip" || !strings.Contains(res.Failed[0].Reason, "60.0 MB") {
		t.Fatalf("failed = %+v; want backup.zip reported with its size", res.Failed)
	}
	if fs.opened["huge"] != 0 {
		t.Error("the 60 MB file was fetched from the desk although it cannot be sent")
	}
	sent := e.fake.SentTo(ann)
	if len(sent) != 1 || sent[0].Method != "sendDocument" || sent[0].Caption != "Both files attached" {
		t.Fatalf("sent %+v; want the pdf carrying the text", sent)
	}

	// A desk that does not say the size: the stream is cut at the limit.
	e2 := setup(t)
	fs2 := newFiles()
	a := fs2.add("unsized", make([]byte, 4096), sdk.FileInfo{Name: "dump.bin"})
	o := fast
	o.MaxUploadSize = 1024
	res, err = e2.sender(o).SendReply(t.Context(), ann, sdk.Reply{Text: "dump", Attachments: []sdk.ReplyAttachment{a}}, fs2.open)
	if err != nil {
		t.Fatal(err)
	}
	sent = e2.fake.SentTo(ann)
	if len(res.Failed) != 1 || len(sent) != 1 || sent[0].Method != "sendMessage" || sent[0].Message.Text != "dump" {
		t.Fatalf("failed %+v sent %+v; want the file reported and the text sent alone", res.Failed, sent)
	}
}

func TestLongCaptionMovesToItsOwnMessage(t *testing.T) {
	e := setup(t)
	fs := newFiles()
	img := pngImage(t, 32, 32)
	a := fs.add("p", img, sdk.FileInfo{Name: "p.png", MIMEType: "image/png"})
	text := strings.Repeat("word ", 300) // 1,500 characters
	res, err := e.sender(fast).SendReply(t.Context(), ann, sdk.Reply{Text: text, Attachments: []sdk.ReplyAttachment{a}}, fs.open)
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentTo(ann)
	if len(sent) != 2 || len(res.MessageIDs) != 2 {
		t.Fatalf("sent %d messages; want the text then the photo", len(sent))
	}
	if sent[0].Method != "sendMessage" || strip(sent[0].Message.Text) != strip(text) {
		t.Errorf("first %s %q", sent[0].Method, sent[0].Message.Text)
	}
	if sent[1].Method != "sendPhoto" || sent[1].Caption != "" {
		t.Errorf("second %s with caption %q; want the photo without caption", sent[1].Method, sent[1].Caption)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := setup(t)
	e.fake.TooManyRequests("sendMessage", 1, 1)
	s := e.sender(fast)
	if _, err := s.SendText(t.Context(), ann, "hello"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.obs.results(), " "); got != "sendMessage:rate_limited sendMessage:ok" {
		t.Fatalf("calls %q; want one 429 then success", got)
	}
	if n := e.fake.Served429(); n != 1 {
		t.Errorf("fake served %d 429s, want 1", n)
	}
	sent := e.fake.SentTo(ann)
	if len(sent) != 1 {
		t.Fatalf("sent %d", len(sent))
	}
	// The retry must not come before retry_after has passed (a lower bound only).
	if wait := sent[0].At.Sub(e.obs.events[0].at); wait < time.Second {
		t.Errorf("retried %v after the 429; Telegram asked for 1s", wait)
	}

	// A wait longer than the call may block is handed back to the caller.
	e.fake.TooManyRequests("sendMessage", 1, 120)
	_, err := s.SendText(t.Context(), ann, "again")
	hint, ok := sdk.RetryHint(err)
	if !ok || hint != 120*time.Second {
		t.Fatalf("err = %v (hint %v); want sdk.RetryAfter with 120s", err, hint)
	}
	if n := e.fake.Served429(); n != 2 {
		t.Errorf("fake served %d 429s, want 2", n)
	}
}

func TestRetryAfterRespectsContext(t *testing.T) {
	e := setup(t)
	e.fake.TooManyRequests("sendMessage", 1, 30)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Poll, not For: t.Fatalf may not be called off the test goroutine; a
		// timeout here leaves ctx live and the check below fails instead.
		if testwait.Poll(testwait.DefaultTimeout, func() bool { return e.fake.Served429() > 0 }) {
			cancel()
		}
	}()
	_, err := e.sender(fast).SendText(ctx, ann, "hello")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(e.fake.SentTo(ann)) != 0 {
		t.Error("sent after the caller gave up")
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	e := setup(t)
	e.fake.Inject(telegramtest.Fault{Method: "sendMessage", Status: 502, HTML: true, Times: 2})
	s := e.sender(fast)
	if _, err := s.SendText(t.Context(), ann, "hello"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.obs.results(), " "); got != "sendMessage:error sendMessage:error sendMessage:ok" {
		t.Errorf("calls %q", got)
	}

	// A 500 that does not end gives up after MaxAttempts with an error the
	// caller may retry later.
	e.fake.Inject(telegramtest.Fault{Method: "sendMessage", Status: 500, Times: -1})
	_, err := s.SendText(t.Context(), ann, "again")
	if err == nil || sdk.IsPermanent(err) || errors.Is(err, sender.ErrBlocked) {
		t.Fatalf("err = %v; want a retryable error", err)
	}
	if n := e.fake.Calls("sendMessage"); n != 3+5 {
		t.Errorf("sendMessage called %d times, want 3 then 5 attempts", n)
	}
}

func TestUnreachableUser(t *testing.T) {
	tests := []struct {
		name  string
		fault telegramtest.Fault
		block bool
	}{
		{name: "blocked the bot", block: true},
		{name: "deactivated", fault: telegramtest.Fault{Status: 403, Description: "Forbidden: user is deactivated"}},
		{name: "chat not found", fault: telegramtest.Fault{Status: 400, Description: "Bad Request: chat not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			if tt.block {
				e.fake.Block(ann)
			} else {
				e.fake.Inject(tt.fault)
			}
			_, err := e.sender(fast).SendText(t.Context(), ann, "hello")
			if !errors.Is(err, sender.ErrBlocked) {
				t.Fatalf("err = %v, want ErrBlocked", err)
			}
			var be *sender.BlockedError
			if !errors.As(err, &be) || be.Description == "" {
				t.Errorf("no description in %v", err)
			}
			if n := e.fake.Calls("sendMessage"); n != 1 {
				t.Errorf("sendMessage called %d times; an unreachable user is not retried", n)
			}
		})
	}
}

func TestBadRequestIsNotRetried(t *testing.T) {
	e := setup(t)
	e.fake.Inject(telegramtest.Fault{Method: "sendMessage", Status: 400, Description: "Bad Request: message to be replied not found"})
	_, err := e.sender(fast).SendText(t.Context(), ann, "hello")
	if !sdk.IsPermanent(err) || errors.Is(err, sender.ErrBlocked) {
		t.Fatalf("err = %v, want permanent", err)
	}
	if n := e.fake.Calls("sendMessage"); n != 1 {
		t.Errorf("sendMessage called %d times, want 1", n)
	}
}

func TestFileFailures(t *testing.T) {
	t.Run("refused photo is sent as a document", func(t *testing.T) {
		e := setup(t)
		fs := newFiles()
		a := fs.add("p", pngImage(t, 20, 20), sdk.FileInfo{Name: "p.png", MIMEType: "image/png"})
		e.fake.Inject(telegramtest.Fault{Method: "sendPhoto", Status: 400, Description: "Bad Request: IMAGE_PROCESS_FAILED"})
		res, err := e.sender(fast).SendReply(t.Context(), ann, sdk.Reply{Text: "pic", Attachments: []sdk.ReplyAttachment{a}}, fs.open)
		if err != nil || len(res.Failed) != 0 {
			t.Fatalf("err %v failed %+v", err, res.Failed)
		}
		sent := e.fake.SentTo(ann)
		if len(sent) != 1 || sent[0].Method != "sendDocument" || sent[0].Caption != "pic" {
			t.Fatalf("sent %+v", sent)
		}
		if fs.opened["p"] != 1 {
			t.Errorf("file fetched %d times; retries resend the spooled copy", fs.opened["p"])
		}
	})
	t.Run("failure before anything was sent fails the reply", func(t *testing.T) {
		e := setup(t)
		fs := newFiles()
		a := fs.add("p", pngImage(t, 20, 20), sdk.FileInfo{Name: "p.png", MIMEType: "image/png"})
		e.fake.Inject(telegramtest.Fault{Method: "sendPhoto", Status: 502, Times: -1})
		res, err := e.sender(fast).SendReply(t.Context(), ann, sdk.Reply{Text: "pic", Attachments: []sdk.ReplyAttachment{a}}, fs.open)
		if err == nil || sdk.IsPermanent(err) || len(res.MessageIDs) != 0 {
			t.Fatalf("err %v ids %v; want a retryable error and nothing sent", err, res.MessageIDs)
		}
	})
	t.Run("failure after the text was sent is reported", func(t *testing.T) {
		e := setup(t)
		fs := newFiles()
		a := fs.add("p", pngImage(t, 20, 20), sdk.FileInfo{Name: "p.png", MIMEType: "image/png"})
		missing := sdk.ReplyAttachment{Ref: "gone", Name: "gone.txt"}
		e.fake.Inject(telegramtest.Fault{Method: "sendPhoto", Status: 502, Times: -1})
		text := strings.Repeat("long answer ", 100)
		res, err := e.sender(fast).SendReply(t.Context(), ann, sdk.Reply{Text: text, Attachments: []sdk.ReplyAttachment{a, missing}}, fs.open)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.MessageIDs) != 1 || len(res.Failed) != 2 || res.Failed[0].Name != "p.png" || res.Failed[1].Name != "gone.txt" {
			t.Fatalf("ids %v failed %+v", res.MessageIDs, res.Failed)
		}
	})
	t.Run("blocked user stops the reply", func(t *testing.T) {
		e := setup(t)
		fs := newFiles()
		a := fs.add("p", pngImage(t, 20, 20), sdk.FileInfo{Name: "p.png", MIMEType: "image/png"})
		e.fake.Block(ann)
		_, err := e.sender(fast).SendReply(t.Context(), ann, sdk.Reply{Text: "x", Attachments: []sdk.ReplyAttachment{a}}, fs.open)
		if !errors.Is(err, sender.ErrBlocked) {
			t.Fatalf("err = %v", err)
		}
		if n := e.fake.Calls("sendPhoto") + e.fake.Calls("sendDocument") + e.fake.Calls("sendMessage"); n != 1 {
			t.Errorf("%d calls after the user was found blocked", n)
		}
	})
}

func TestPerChatLimit(t *testing.T) {
	e := setup(t)
	o := fast
	o.PerChatInterval, o.PerChatBurst = 200*time.Millisecond, 1
	s := e.sender(o)

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 3 {
			if _, err := s.SendText(t.Context(), ann, "a"+string(rune('0'+i))); err != nil {
				t.Error(err)
			}
		}
	})
	// Bob writes once Ann's first message is out: his chat is not held up.
	if _, err := e.fake.WaitSent(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendText(t.Context(), bob, "b"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	toAnn, toBob := e.fake.SentTo(ann), e.fake.SentTo(bob)
	if len(toAnn) != 3 || len(toBob) != 1 {
		t.Fatalf("ann got %d, bob %d", len(toAnn), len(toBob))
	}
	for i := 1; i < len(toAnn); i++ {
		// Generous: the limiter spaces them 200ms apart.
		if gap := toAnn[i].At.Sub(toAnn[i-1].At); gap < 100*time.Millisecond {
			t.Errorf("messages %d and %d to one chat were %v apart", i-1, i, gap)
		}
	}
	if !toBob[0].At.Before(toAnn[1].At) {
		t.Errorf("bob's message waited behind ann's queue")
	}
}

func TestEditText(t *testing.T) {
	e := setup(t)
	s := e.sender(fast)
	res, err := s.SendText(t.Context(), ann, "first")
	if err != nil {
		t.Fatal(err)
	}
	id := res.MessageIDs[0]
	if err := s.EditText(t.Context(), ann, id, sdk.Reply{Text: "<b>second</b> &amp; more", Format: sdk.FormatTelegramHTML}); err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentTo(ann)
	last := sent[len(sent)-1]
	if last.Method != "editMessageText" || last.MessageID != int(id) || last.Message.Text != "second & more" {
		t.Fatalf("last call %s on %d: %q", last.Method, last.MessageID, last.Message.Text)
	}
	// Same text again: Telegram says "not modified", which is success.
	if err := s.EditText(t.Context(), ann, id, sdk.Reply{Text: "<b>second</b> &amp; more", Format: sdk.FormatTelegramHTML}); err != nil {
		t.Errorf("unchanged edit: %v", err)
	}
	if err := s.EditText(t.Context(), ann, id, sdk.Reply{Text: strings.Repeat("x ", 3000)}); !sdk.IsPermanent(err) {
		t.Errorf("too long edit: err = %v, want permanent", err)
	}
	if err := s.EditText(t.Context(), ann, 9999, sdk.Reply{Text: "gone"}); !sdk.IsPermanent(err) {
		t.Errorf("edit of a missing message: err = %v, want permanent", err)
	}
}

func TestErrorsNeverShowTheToken(t *testing.T) {
	e := setup(t)
	e.fake.Close() // every call now fails with a connection error quoting the URL
	_, err := e.sender(fast).SendText(t.Context(), ann, "hello")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	secret := e.fake.Token()[strings.IndexByte(e.fake.Token(), ':')+1:]
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the token: %v", err)
	}
	if !strings.Contains(err.Error(), "<token>") {
		t.Errorf("error %q lost its context", err)
	}
}
