package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// Every kind of message a user can send reaches the desk with what an agent
// needs, in the order sent; files arrive as working links, a file over the
// bot download limit as an alert; group chats are not relayed.
func TestEveryKindReachesTheDesk(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	u := e.tg.AddUser(telego.User{FirstName: "Bo", Username: "bo_k", LanguageCode: "en"})
	group := e.tg.AddGroup(telego.Chat{Type: "group", Title: "Fans"})

	pdf := bytes.Repeat([]byte("%PDF-exact-bytes-"), 1000)
	photoBytes := bytes.Repeat([]byte{0xff, 0xd8, 0xff}, 500)
	voiceID, voiceUID := e.tg.AddFile([]byte("OggS-voice"), "voice.ogg", "audio/ogg")
	bigID, bigUID := e.tg.AddLargeFile(25<<20, "huge.zip", "application/zip")

	msg := func() telego.Message { return e.tg.NewMessage(u.ID, u.ID) }
	type want struct {
		kind     string
		contains []string
		files    int
		tooLarge bool
	}
	var wants []want

	bold := msg()
	bold.Text = "I need help now"
	bold.Entities = []telego.MessageEntity{{Type: "bold", Offset: 7, Length: 4}}
	e.tg.PushMessage(bold)
	wants = append(wants, want{kind: "text", contains: []string{"I need help now"}})

	e.tg.SendPhoto(u.ID, photoBytes, "my screen")
	wants = append(wants, want{kind: "photo", contains: []string{"my screen"}, files: 1})

	e.tg.SendDocument(u.ID, pdf, "invoice.pdf", "application/pdf", "")
	wants = append(wants, want{kind: "document", contains: []string{"invoice.pdf"}, files: 1})

	voice := msg()
	voice.Voice = &telego.Voice{FileID: voiceID, FileUniqueID: voiceUID, Duration: 3, MimeType: "audio/ogg", FileSize: 10}
	e.tg.PushMessage(voice)
	wants = append(wants, want{kind: "voice", files: 1})

	sticker := msg()
	sticker.Sticker = &telego.Sticker{FileID: voiceID, FileUniqueID: voiceUID, Emoji: "😀", Type: "regular", Width: 512, Height: 512}
	e.tg.PushMessage(sticker)
	wants = append(wants, want{kind: "sticker", contains: []string{"😀"}, files: 1})

	loc := msg()
	loc.Location = &telego.Location{Latitude: 52.52, Longitude: 13.405}
	e.tg.PushMessage(loc)
	wants = append(wants, want{kind: "location", contains: []string{"52.52", "openstreetmap"}})

	venue := msg()
	venue.Venue = &telego.Venue{Location: telego.Location{Latitude: 48.85, Longitude: 2.35}, Title: "Louvre", Address: "Rue de Rivoli"}
	venue.Location = &venue.Venue.Location
	e.tg.PushMessage(venue)
	wants = append(wants, want{kind: "venue", contains: []string{"Louvre", "Rue de Rivoli"}})

	contact := msg()
	contact.Contact = &telego.Contact{PhoneNumber: "+4930123456", FirstName: "Cara"}
	e.tg.PushMessage(contact)
	wants = append(wants, want{kind: "contact", contains: []string{"Cara", "+4930123456"}})

	poll := msg()
	poll.Poll = &telego.Poll{ID: "p1", Question: "Which plan?", Options: []telego.PollOption{{Text: "Basic"}, {Text: "Pro"}}}
	e.tg.PushMessage(poll)
	wants = append(wants, want{kind: "poll", contains: []string{"Which plan?", "Basic", "Pro"}})

	fwd := msg()
	fwd.Text = "look at this"
	fwd.ForwardOrigin = &telego.MessageOriginUser{Type: "user", Date: time.Now().Unix() - 60, SenderUser: telego.User{ID: 999, FirstName: "Dan"}}
	e.tg.PushMessage(fwd)
	wants = append(wants, want{kind: "text", contains: []string{"look at this", "Dan"}})

	// An album arrives as its files, in order.
	for i, caption := range []string{"album part one", "album part two"} {
		id, uid := e.tg.AddFile(photoBytes, fmt.Sprintf("a%d.jpg", i), "image/jpeg")
		part := msg()
		part.MediaGroupID = "album-1"
		part.Caption = caption
		part.Photo = []telego.PhotoSize{{FileID: id, FileUniqueID: uid, Width: 64, Height: 48, FileSize: len(photoBytes)}}
		e.tg.PushMessage(part)
		wants = append(wants, want{kind: "photo", contains: []string{caption}, files: 1})
	}

	dice := msg()
	dice.Dice = &telego.Dice{Emoji: "🎲", Value: 4}
	e.tg.PushMessage(dice)
	wants = append(wants, want{kind: "unsupported", contains: []string{"unsupported message type"}})

	big := msg()
	big.Document = &telego.Document{FileID: bigID, FileUniqueID: bigUID, FileName: "huge.zip", MimeType: "application/zip", FileSize: 25 << 20}
	e.tg.PushMessage(big)
	wants = append(wants, want{kind: "document", contains: []string{"huge.zip"}, files: 1, tooLarge: true})

	edited := msg()
	edited.Text = "typo"
	e.tg.PushMessage(edited)
	wants = append(wants, want{kind: "text", contains: []string{"typo"}})
	edited.Text = "fixed text"
	edited.EditDate = time.Now().Unix()
	e.tg.PushEdit(edited)
	wants = append(wants, want{kind: "text", contains: []string{"fixed text"}})

	e.tg.SendTextIn(group.ID, u.ID, "hello group") // not a private chat: not relayed

	// A sentinel behind the group message: Telegram's updates are handled in
	// order, so once the sentinel is at the desk the group message has been
	// handled too, and a wrongly relayed copy was committed to the outbox
	// before it. That copy would be another conversation's lane, which keeps
	// no order with this one, but in practice the older row goes first:
	// relaying group chats again failed this test in 3 of 3 runs.
	const sentinelText = "sentinel after the group message"
	e.tg.SendText(u.ID, sentinelText)
	if !e.desk.WaitFor(30*time.Second, func(ds []webhookdesk.Delivery) bool {
		return len(ds) > 0 && ds[len(ds)-1].Message.Text == sentinelText
	}) {
		t.Fatalf("the sentinel never reached the desk; it got %d messages, want %d\n%s", len(e.desk.Received()), len(wants)+1, e.Logs())
	}
	got := e.desk.Received()
	if len(got) != len(wants)+1 {
		t.Fatalf("desk got %d messages, want %d and the sentinel (group chat relayed?)", len(got)-1, len(wants))
	}
	got = got[:len(wants)]
	for i, w := range wants {
		m := got[i].Message
		if m.Kind != w.kind {
			t.Errorf("message %d: kind %q, want %q (text %q)", i, m.Kind, w.kind, m.Text)
		}
		for _, c := range w.contains {
			if !strings.Contains(m.Text, c) {
				t.Errorf("message %d (%s): text %q lacks %q", i, m.Kind, m.Text, c)
			}
		}
		if len(m.Attachments) != w.files {
			t.Errorf("message %d (%s): %d attachments, want %d", i, m.Kind, len(m.Attachments), w.files)
			continue
		}
		for _, a := range m.Attachments {
			if a.TooLarge != w.tooLarge {
				t.Errorf("message %d: too_large = %v", i, a.TooLarge)
			}
			if w.tooLarge && a.URL != "" {
				t.Errorf("message %d: too-large file has a link %q", i, a.URL)
			}
			if !w.tooLarge && !strings.HasPrefix(a.URL, e.public+"/files/") {
				t.Errorf("message %d: link %q is not a host file link", i, a.URL)
			}
			if strings.Contains(a.URL, e.tg.Token()) {
				t.Fatalf("a file link contains the bot token")
			}
		}
	}
	if got[0].Message.Time == "" || got[0].Contact.Username != "bo_k" {
		t.Errorf("first message lacks time or contact: %+v", got[0])
	}
	// The edit is a separate message, marked as an edit of the original.
	if !strings.Contains(strings.ToLower(got[len(got)-1].Message.Text), "edit") {
		t.Errorf("edit not marked as an edit: %q", got[len(got)-1].Message.Text)
	}

	// The document's link downloads exactly the bytes the user sent.
	link := got[2].Message.Attachments[0]
	resp, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, pdf) {
		t.Fatalf("file link: status %d, %d bytes (want %d)", resp.StatusCode, len(body), len(pdf))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	if link.Name != "invoice.pdf" || link.Size != int64(len(pdf)) || link.MIMEType != "application/pdf" {
		t.Errorf("attachment described as %+v", link)
	}
	// A tampered link gets 404 and nothing else.
	resp, err = http.Get(link.URL + "x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("tampered link: status %d, want 404", resp.StatusCode)
	}
	if strings.Contains(e.Logs(), e.tg.Token()) {
		t.Fatal("the bot token appears in the log")
	}
}

// Agent replies arrive intact: markup-looking text, a long reply split, a
// photo uploaded (not linked); bad input is rejected and stores nothing.
func TestRepliesAndBadInput(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	u := e.tg.AddUser(telego.User{FirstName: "Cy"})
	e.tg.SendText(u.ID, "hi")
	if !e.desk.WaitCount(1, 15*time.Second) {
		t.Fatalf("no delivery\n%s", e.Logs())
	}
	conv := e.desk.Received()[0].ConversationID

	// A file server for the agent's attachment.
	img := pngImage(t, 64, 48)
	files := newFileServer(t, map[string][]byte{"/shot.png": img})

	long := strings.Repeat("This sentence is part of a long answer. ", 150) // ~6,000 characters
	replies := []webhookdesk.Reply{
		{ConversationID: conv, ID: "r1", Text: "1 < 2 & *stars* <b>not bold</b>"},
		{ConversationID: conv, ID: "r2", Text: long},
		{ConversationID: conv, ID: "r3", Text: "here is the screenshot", Attachments: []webhookdesk.ReplyAttachment{{Name: "shot.png", MIMEType: "image/png", URL: files + "/shot.png"}}},
	}
	for _, r := range replies {
		if status, body := e.reply(r); status != 200 {
			t.Fatalf("reply %s: %d %s", r.ID, status, body)
		}
	}
	// The same reply again (a desk retry) is stored once.
	if status, _ := e.reply(replies[0]); status != 200 {
		t.Fatalf("duplicate reply: status %d", status)
	}
	// A sentinel behind the duplicate: replies to one conversation go out in
	// order, so once it is sent a wrongly stored duplicate would be too.
	sentinel(t, e, u.ID, conv, "s1")
	sent := e.tg.SentTo(u.ID)
	if len(sent) != 5 {
		for _, s := range sent {
			t.Logf("sent %s %q", s.Method, s.Text)
		}
		t.Fatalf("Telegram got %d messages, want 4 (1 + 2 parts + 1 photo) and the sentinel", len(sent))
	}
	if sent[0].Message.Text != replies[0].Text {
		t.Errorf("text arrived as %q", sent[0].Message.Text)
	}
	if joined := sent[1].Message.Text + " " + sent[2].Message.Text; strings.Join(strings.Fields(joined), " ") != strings.TrimSpace(long) {
		t.Errorf("long reply not split cleanly: %d + %d chars", len(sent[1].Message.Text), len(sent[2].Message.Text))
	}
	if sent[3].Method != "sendPhoto" || len(sent[3].Files) != 1 || !bytes.Equal(sent[3].Files[0].Data, img) {
		t.Errorf("attachment went out as %s with %d files", sent[3].Method, len(sent[3].Files))
	}

	// Bad input: nothing stored, nothing sent.
	before := len(e.tg.SentTo(u.ID))
	cases := []struct {
		name   string
		body   string
		sig    string
		status int
	}{
		{"bad signature", `{"conversation_id":"` + conv + `","id":"x1","text":"forged"}`, "sha256=00", 401},
		{"no signature", `{"conversation_id":"` + conv + `","id":"x2","text":"forged"}`, "", 401},
		{"unknown conversation", `{"conversation_id":"c_nope","id":"x3","text":"lost?"}`, "", 422},
		{"malformed json", `{"conversation_id":`, "", 400},
		{"oversized body", `{"conversation_id":"` + conv + `","id":"x4","text":"` + strings.Repeat("a", 2<<20) + `"}`, "", 413},
	}
	for _, c := range cases {
		sig := c.sig
		if sig == "" && !strings.HasPrefix(c.name, "no signature") {
			sig = webhookdesk.Sign([]byte(e.secret), []byte(c.body))
		}
		status, body, err := e.desk.Post(t.Context(), e.hookURL(), []byte(c.body), sig)
		if err != nil {
			t.Fatal(err)
		}
		if status != c.status {
			t.Errorf("%s: status %d (%s), want %d", c.name, status, body, c.status)
		}
	}
	sentinel(t, e, u.ID, conv, "s2")
	if after := len(e.tg.SentTo(u.ID)); after != before+1 {
		t.Errorf("bad input reached the user: %d new messages besides the sentinel", after-before-1)
	}
}
