package demo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
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
	// ID is the bot message's id in the chat (0 for the visitor's): a
	// tap names the message it was on.
	ID int `json:"id,omitempty"`
	// Buttons is the message's inline keyboard as it is now, row by row.
	Buttons [][]chatButton `json:"buttons,omitempty"`
	// Edited is set once the bot edited the message.
	Edited bool `json:"edited,omitempty"`
}

// chatButton is an inline keyboard button: a tap sends Data to the bot.
type chatButton struct {
	Text string `json:"text"`
	Data string `json:"data"`
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
	// A profile photo, so the desks show the customer's avatar.
	tg.SetProfilePhotos(u.ID, avatarPNG(color.RGBA{R: 0x5b, G: 0x6c, B: 0xd6, A: 0xff}))
	return &chat{tg: tg, user: u}
}

// avatarPNG draws a 160 px disc of c on white: the demo customer's
// profile photo.
func avatarPNG(c color.Color) []byte {
	const side = 160
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			dx, dy := x-side/2, y-side/2
			img.Set(x, y, color.White)
			if dx*dx+dy*dy <= (side/2-4)*(side/2-4) {
				img.Set(x, y, c)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding an in-memory RGBA image does not fail
	return buf.Bytes()
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

// Tap taps the inline button with callback data on the bot's message id,
// as the visitor; the fake refuses a button the message does not have.
func (c *chat) Tap(messageID int, data string) error {
	if _, err := c.tg.TapButton(c.user.ID, messageID, c.user.ID, data); err != nil {
		return errors.New("no such button on that message (the keyboard may have been replaced)")
	}
	return nil
}

// Messages returns the whole chat, both sides, oldest first. A bot message
// is shown as it is now: an edit replaces its text and keyboard in place,
// as a Telegram client shows it.
func (c *chat) Messages() []chatMessage {
	c.mu.Lock()
	out := slices.Clone(c.sent)
	c.mu.Unlock()
	var bot []chatMessage
	byID := map[int]int{} // message id -> index in bot
	for _, s := range c.tg.SentTo(c.user.ID) {
		text := s.Message.Text
		if text == "" {
			text = s.Message.Caption
		}
		if i, ok := byID[s.MessageID]; ok && strings.HasPrefix(s.Method, "edit") {
			bot[i].Text, bot[i].Buttons, bot[i].Edited = text, keyboard(s.Message.ReplyMarkup), true
			continue
		}
		m := chatMessage{From: "bot", Text: text, At: s.At, ID: s.MessageID, Buttons: keyboard(s.Message.ReplyMarkup)}
		for _, f := range s.Files {
			m.Files = append(m.Files, fmt.Sprintf("%s (%s)", f.Name, humanSize(int64(len(f.Data)))))
		}
		if strings.HasPrefix(s.Method, "edit") {
			m.Edited = true // an edit of a message the chat never saw sent
		}
		byID[s.MessageID] = len(bot)
		bot = append(bot, m)
	}
	out = append(out, bot...)
	slices.SortStableFunc(out, func(a, b chatMessage) int { return a.At.Compare(b.At) })
	return out
}

// keyboard is an inline keyboard's callback buttons; nil for none.
func keyboard(kb *telego.InlineKeyboardMarkup) [][]chatButton {
	if kb == nil {
		return nil
	}
	var rows [][]chatButton
	for _, r := range kb.InlineKeyboard {
		var row []chatButton
		for _, b := range r {
			if b.CallbackData != "" {
				row = append(row, chatButton{Text: b.Text, Data: b.CallbackData})
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	return rows
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
