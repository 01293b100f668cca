package demo

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// tooLargeSize is the size of the "too-large file" button's file: over the
// 20 MB Bot API download limit, so the host flags it and the desk alerts.
const tooLargeSize = 48 << 20

// chatMessage is one line of the chat pane.
type chatMessage struct {
	// From is "user" (the visitor) or "bot".
	From  string    `json:"from"`
	Text  string    `json:"text"`
	Files []string  `json:"files,omitempty"`
	At    time.Time `json:"at"`
}

// chat is the customer's side: one demo user talking to the bot through the
// fake Telegram. The fake keeps what the bot sent; the visitor's own
// messages are kept here because the fake hands them to the bot and forgets.
type chat struct {
	tg   *telegramtest.Server
	user telego.User

	mu   sync.Mutex
	sent []chatMessage
}

func newChat(tg *telegramtest.Server) *chat {
	u := tg.AddUser(telego.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada_demo", LanguageCode: "en"})
	return &chat{tg: tg, user: u}
}

func (c *chat) record(m chatMessage) {
	m.From, m.At = "user", time.Now()
	c.mu.Lock()
	c.sent = append(c.sent, m)
	c.mu.Unlock()
}

// Text sends a text message (a leading /command is a bot command).
func (c *chat) Text(text string) {
	c.record(chatMessage{Text: text})
	c.tg.SendText(c.user.ID, text)
}

// File sends data as a document.
func (c *chat) File(data []byte, name, mimeType, caption string) {
	c.record(chatMessage{Text: caption, Files: []string{fmt.Sprintf("%s (%s)", name, humanSize(int64(len(data))))}})
	c.tg.SendDocument(c.user.ID, data, name, mimeType, caption)
}

// LargeFile sends a document too large for a bot to download.
func (c *chat) LargeFile() {
	const name = "site-recording.mp4"
	id, uid := c.tg.AddLargeFile(tooLargeSize, name, "video/mp4")
	m := c.tg.NewMessage(c.user.ID, c.user.ID)
	m.Document = &telego.Document{FileID: id, FileUniqueID: uid, FileName: name, MimeType: "video/mp4", FileSize: tooLargeSize}
	c.record(chatMessage{Files: []string{fmt.Sprintf("%s (%s)", name, humanSize(tooLargeSize))}})
	c.tg.PushMessage(m)
}

// Location shares a point on the map.
func (c *chat) Location(lat, lon float64) {
	m := c.tg.NewMessage(c.user.ID, c.user.ID)
	m.Location = &telego.Location{Latitude: lat, Longitude: lon}
	c.record(chatMessage{Text: fmt.Sprintf("📍 Location %.4f, %.4f", lat, lon)})
	c.tg.PushMessage(m)
}

// Messages returns the whole chat, both sides, oldest first.
func (c *chat) Messages() []chatMessage {
	c.mu.Lock()
	out := slices.Clone(c.sent)
	c.mu.Unlock()
	for _, s := range c.tg.SentTo(c.user.ID) {
		m := chatMessage{From: "bot", Text: s.Message.Text, At: s.At}
		if m.Text == "" {
			m.Text = s.Message.Caption
		}
		for _, f := range s.Files {
			m.Files = append(m.Files, fmt.Sprintf("%s (%s)", f.Name, humanSize(int64(len(f.Data)))))
		}
		if s.Method == "editMessageText" {
			m.Text += " (edited)"
		}
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b chatMessage) int { return a.At.Compare(b.At) })
	return out
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
