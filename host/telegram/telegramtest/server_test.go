package telegramtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

// start runs a fake for one test.
func start(t *testing.T, opts telegramtest.Options) *telegramtest.Server {
	t.Helper()
	s := telegramtest.New(opts)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// bot is a telego client on the fake, on net/http so ctx cancellation works.
func bot(t *testing.T, s *telegramtest.Server, token string) *telego.Bot {
	t.Helper()
	if token == "" {
		token = s.Token()
	}
	b, err := telego.NewBot(token, telego.WithAPIServer(s.URL()),
		telego.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiErr returns the Bot API error inside err, failing the test if there is none.
func apiErr(t *testing.T, err error) *ta.Error {
	t.Helper()
	var e *ta.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a Bot API error, got %v", err)
	}
	return e
}

func TestTokenCheck(t *testing.T) {
	s := start(t, telegramtest.Options{})
	me, err := bot(t, s, "").GetMe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !me.IsBot || me.Username != "parley_test_bot" || me.ID != 123456789 {
		t.Fatalf("getMe = %+v", me)
	}
	_, err = bot(t, s, "123456789:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB").GetMe(t.Context())
	if e := apiErr(t, err); e.ErrorCode != 401 || e.Description != "Unauthorized" {
		t.Fatalf("wrong token: %v", err)
	}
	// A malformed token is a wrong path: 404 with a JSON body.
	resp, err := http.Post(s.URL()+"/botnot-a-token/getMe", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"error_code":404`) {
		t.Fatalf("malformed token: %d %s", resp.StatusCode, body)
	}
	s.RevokeToken()
	if _, err := bot(t, s, "").GetMe(t.Context()); apiErr(t, err).ErrorCode != 401 {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestMethodNamesCaseInsensitiveAndEncodings(t *testing.T) {
	s := start(t, telegramtest.Options{})
	u := s.AddUser(telego.User{FirstName: "Ann"})
	cases := []struct {
		name, ctype, body, query string
	}{
		{"query", "", "", "?chat_id=5551234&text=q"},
		{"urlencoded", "application/x-www-form-urlencoded", "chat_id=5551234&text=form", ""},
		{"json", "application/json", `{"chat_id":5551234,"text":"json"}`, ""},
		{"json string id", "application/json", `{"chat_id":"5551234","text":"json2"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/bot"+s.Token()+"/SENDMESSAGE"+c.query, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok":true`) {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
	if got := len(s.SentTo(u.ID)); got != len(cases) {
		t.Fatalf("sent %d messages, want %d", got, len(cases))
	}
}

func TestUpdatesAndOffsetConfirmation(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{FirstName: "Ann", Username: "ann_l"})
	s.SendText(u.ID, "/start ref_42")
	s.SendText(u.ID, "hello")
	s.SendText(u.ID, "again")

	ups, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].Message.Text != "/start ref_42" || ups[1].UpdateID != ups[0].UpdateID+1 {
		t.Fatalf("first batch = %+v", ups)
	}
	if e := ups[0].Message.Entities; len(e) != 1 || e[0].Type != "bot_command" || e[0].Length != 6 {
		t.Fatalf("/start entities = %+v", e)
	}
	// Not confirmed yet: the same updates come again.
	again, err := b.GetUpdates(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 3 || again[0].UpdateID != ups[0].UpdateID {
		t.Fatalf("unconfirmed updates were lost: %+v", again)
	}
	if s.Offset() != 0 {
		t.Fatalf("offset confirmed early: %d", s.Offset())
	}
	next := int(ups[1].UpdateID) + 1
	rest, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: next})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].Message.Text != "again" {
		t.Fatalf("after confirming two: %+v", rest)
	}
	if s.Offset() != int64(next) || s.Pending() != 1 {
		t.Fatalf("offset %d pending %d", s.Offset(), s.Pending())
	}
}

func TestLongPollReturnsEarly(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	go func() {
		// Send once the long poll has arrived, so it is answered by the
		// message rather than by an update that was already queued.
		if testwait.Poll(testwait.DefaultTimeout, func() bool { return s.Calls("getUpdates") > 0 }) {
			s.SendText(u.ID, "late")
		}
	}()
	ups, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Timeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].Message.Text != "late" {
		t.Fatalf("long poll = %+v", ups)
	}
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	s := start(t, telegramtest.Options{MaxPollTimeout: 50 * time.Millisecond})
	ups, err := bot(t, s, "").GetUpdates(t.Context(), &telego.GetUpdatesParams{Timeout: 30})
	if err != nil || ups == nil || len(ups) != 0 {
		t.Fatalf("want [] after the capped timeout, got %v %v", ups, err)
	}
}

func TestConflicts(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	first := make(chan error, 1)
	go func() {
		_, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Timeout: 30})
		first <- err
	}()
	// Wait until the first poll is pending, then poll again: the first one ends with 409.
	testwait.For(t, "the first poll arrives", func() bool { return s.Calls("getUpdates") > 0 })
	// The fake counts a call before it registers the poll as pending and has
	// no signal for the latter; this short pause covers that gap, and is not
	// what the test asserts on.
	time.Sleep(20 * time.Millisecond)
	second := make(chan error, 1)
	go func() {
		_, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Timeout: 1})
		second <- err
	}()
	if e := apiErr(t, <-first); e.ErrorCode != 409 || !strings.Contains(e.Description, "terminated by other getUpdates request") {
		t.Fatalf("first poll: %v", e)
	}
	if err := <-second; err != nil {
		t.Fatalf("second poll: %v", err)
	}

	if err := b.SetWebhook(t.Context(), &telego.SetWebhookParams{URL: "http://127.0.0.1:1/hook"}); err != nil {
		t.Fatal(err)
	}
	_, err := b.GetUpdates(t.Context(), nil)
	if e := apiErr(t, err); e.ErrorCode != 409 || !strings.Contains(e.Description, "webhook is active") {
		t.Fatalf("getUpdates with a webhook: %v", err)
	}
	if err := b.DeleteWebhook(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetUpdates(t.Context(), nil); err != nil {
		t.Fatalf("after deleteWebhook: %v", err)
	}
}

func TestGetFileAndDownload(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	data := []byte("%PDF-1.4 invoice")
	id, unique := s.AddFile(data, "invoice.pdf", "application/pdf")
	f, err := b.GetFile(t.Context(), &telego.GetFileParams{FileID: id})
	if err != nil {
		t.Fatal(err)
	}
	if f.FileUniqueID != unique || f.FileSize != int64(len(data)) || !strings.HasPrefix(f.FilePath, "documents/") {
		t.Fatalf("getFile = %+v", f)
	}
	got, err := tu.DownloadFile(b.FileDownloadURL(f.FilePath))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download = %q, %v", got, err)
	}

	big, _ := s.AddLargeFile(21<<20, "movie.mp4", "video/mp4")
	_, err = b.GetFile(t.Context(), &telego.GetFileParams{FileID: big})
	if e := apiErr(t, err); e.ErrorCode != 400 || e.Description != "Bad Request: file is too big" {
		t.Fatalf("large file: %v", err)
	}
	_, err = b.GetFile(t.Context(), &telego.GetFileParams{FileID: "nope!"})
	if e := apiErr(t, err); e.ErrorCode != 400 {
		t.Fatalf("bad file_id: %v", err)
	}
	if _, err := tu.DownloadFile(s.URL() + "/file/bot" + s.Token() + "/documents/file_999.pdf"); err == nil {
		t.Fatal("download of an unknown path succeeded")
	}
}

func TestMultipartUploadRecorded(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	data := []byte("%PDF-1.4 report body")
	msg, err := b.SendDocument(t.Context(), &telego.SendDocumentParams{
		ChatID:   tu.ID(u.ID),
		Document: tu.File(tu.NameReader(bytes.NewReader(data), "report.pdf")),
		Caption:  "<b>Report</b>", ParseMode: telego.ModeHTML,
		ReplyMarkup: tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("ok").WithCallbackData("ok"))),
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Document == nil || msg.Document.FileName != "report.pdf" || msg.Caption != "Report" || len(msg.CaptionEntities) != 1 {
		t.Fatalf("answer = %+v", msg)
	}
	sent := s.SentTo(u.ID)
	if len(sent) != 1 {
		t.Fatalf("sent = %+v", sent)
	}
	m := sent[0]
	if m.Method != "sendDocument" || m.Caption != "<b>Report</b>" || m.ParseMode != "HTML" || len(m.Files) != 1 ||
		!strings.Contains(string(m.ReplyMarkup), `"callback_data":"ok"`) {
		t.Fatalf("recorded = %+v", m)
	}
	if f := m.Files[0]; f.Name != "report.pdf" || f.MIMEType != "application/pdf" || !bytes.Equal(f.Data, data) {
		t.Fatalf("file = %+v", f)
	}
	// The uploaded file can be fetched back by its file_id.
	f, err := b.GetFile(t.Context(), &telego.GetFileParams{FileID: msg.Document.FileID})
	if err != nil || f.FileSize != int64(len(data)) {
		t.Fatalf("getFile of upload: %+v %v", f, err)
	}
}

func TestSendValidation(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	cases := []struct {
		name string
		p    *telego.SendMessageParams
		want string
	}{
		{"unknown chat", tu.Message(tu.ID(42), "hi"), "Bad Request: chat not found"},
		{"empty", tu.Message(tu.ID(u.ID), " "), "Bad Request: message text is empty"},
		{"too long", tu.Message(tu.ID(u.ID), strings.Repeat("я", 4097)), "Bad Request: message is too long"},
		{"unknown tag", tu.Message(tu.ID(u.ID), "<blink>x</blink>").WithParseMode(telego.ModeHTML), `Bad Request: can't parse entities: Unsupported start tag "blink" at byte offset 0`},
		{"unbalanced", tu.Message(tu.ID(u.ID), "<b>x").WithParseMode(telego.ModeHTML), `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"crossed", tu.Message(tu.ID(u.ID), "<b><i>x</b></i>").WithParseMode(telego.ModeHTML), `Bad Request: can't parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"bare ampersand", tu.Message(tu.ID(u.ID), "Tom & Jerry").WithParseMode(telego.ModeHTML), "Bad Request: can't parse entities: Unsupported HTML entity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.SendMessage(t.Context(), c.p)
			if e := apiErr(t, err); e.ErrorCode != 400 || !strings.HasPrefix(e.Description, c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// 4096 characters of emoji is 8192 UTF-16 units: too long; 2048 fit.
	if _, err := b.SendMessage(t.Context(), tu.Message(tu.ID(u.ID), strings.Repeat("😀", 2048))); err != nil {
		t.Fatalf("2048 emoji: %v", err)
	}
	m, err := b.SendMessage(t.Context(), tu.Message(tu.ID(u.ID), `😀 <b>bold &amp; <a href="https://x.test/?a=1&amp;b=2">link</a></b>`).WithParseMode(telego.ModeHTML))
	if err != nil {
		t.Fatal(err)
	}
	want := []telego.MessageEntity{{Type: "bold", Offset: 3, Length: 11}, {Type: "text_link", Offset: 10, Length: 4, URL: "https://x.test/?a=1&b=2"}}
	if m.Text != "😀 bold & link" || len(m.Entities) != 2 || m.Entities[0] != want[0] || m.Entities[1] != want[1] {
		t.Fatalf("parsed %q %+v", m.Text, m.Entities)
	}
	_, err = b.SendPhoto(t.Context(), tu.Photo(tu.ID(u.ID), tu.File(tu.NameReader(strings.NewReader("jpeg"), "a.jpg"))).WithCaption(strings.Repeat("c", 1025)))
	if e := apiErr(t, err); e.Description != "Bad Request: message caption is too long" {
		t.Fatalf("caption: %v", err)
	}
}

func TestInjected429CarriesRetryAfter(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	s.TooManyRequests("sendMessage", 2, 17)
	for i := range 2 {
		_, err := b.SendMessage(t.Context(), tu.Message(tu.ID(u.ID), "hi"))
		e := apiErr(t, err)
		if e.ErrorCode != 429 || e.Parameters == nil || e.Parameters.RetryAfter != 17 {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := b.SendMessage(t.Context(), tu.Message(tu.ID(u.ID), "hi")); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if s.Served429() != 2 || len(s.Sent()) != 1 {
		t.Fatalf("served429 %d sent %d", s.Served429(), len(s.Sent()))
	}
}

func TestFaultKinds(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	other := s.AddUser(telego.User{})

	s.Inject(telegramtest.Fault{Method: "sendMessage", ChatID: u.ID, Status: 502, HTML: true})
	if _, err := b.SendMessage(t.Context(), tu.Message(tu.ID(other.ID), "other chat")); err != nil {
		t.Fatalf("fault leaked to another chat: %v", err)
	}
	_, err := b.SendMessage(t.Context(), tu.Message(tu.ID(u.ID), "x"))
	if err == nil || !strings.Contains(err.Error(), "internal server error: 502") {
		t.Fatalf("502: %v", err)
	}
	s.Inject(telegramtest.Fault{Method: "getMe", Drop: true})
	if _, err := b.GetMe(t.Context()); err == nil {
		t.Fatal("dropped connection gave no error")
	}
	s.Inject(telegramtest.Fault{Method: "getMe", Delay: time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.GetMe(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed call: %v", err)
	}
}

func TestBlockedUser(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	s.Block(u.ID)
	_, err := b.SendMessage(t.Context(), tu.Message(tu.ID(u.ID), "hi"))
	if e := apiErr(t, err); e.ErrorCode != 403 || e.Description != "Forbidden: bot was blocked by the user" {
		t.Fatalf("blocked: %v", err)
	}
	if len(s.Sent()) != 0 {
		t.Fatal("a message to a blocked user was recorded")
	}
}

func TestWaitSent(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	go func() {
		for _, txt := range []string{"one", "two"} {
			_, _ = b.SendMessage(context.Background(), tu.Message(tu.ID(u.ID), txt))
		}
	}()
	got, err := s.WaitSent(2, 5*time.Second)
	if err != nil || got[0].Text != "one" || got[1].Text != "two" {
		t.Fatalf("WaitSent = %+v, %v", got, err)
	}
	if _, err := s.WaitSent(3, 20*time.Millisecond); err == nil {
		t.Fatal("WaitSent for a message never sent returned no error")
	}
}

func TestMalformedJSONParameterRejected(t *testing.T) {
	s := start(t, telegramtest.Options{})
	u := s.AddUser(telego.User{})
	body := "chat_id=" + fmt.Sprint(u.ID) + "&text=hi&reply_markup={broken"
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/sendMessage", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(got), "can't parse reply_markup JSON object") || len(s.Sent()) != 0 {
		t.Fatalf("%d %s", resp.StatusCode, got)
	}
}
