package plugintest

import (
	"fmt"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// sampleTime is fixed so payloads built from samples are reproducible.
var sampleTime = time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)

// SampleConversation is the conversation the samples belong to.
func SampleConversation() sdk.Conversation {
	return sdk.Conversation{ID: "conv-sample-1", Number: 42, TelegramChatID: 100200300, StartedAt: sampleTime}
}

// SampleContact is a Telegram user with every field set, a non-Latin name
// included.
func SampleContact() sdk.Contact {
	return sdk.Contact{TelegramUserID: 100200300, FirstName: "Иван", LastName: "Petrov", Username: "ivan_p", LanguageCode: "ru"}
}

// SampleMessages returns one message of every kind the host delivers, as
// the host builds them (Text holds the readable summary for non-text
// kinds). Each has a distinct ID naming it ("sample-photo", ...); the
// harness serves their attachments through Host.OpenFile.
func SampleMessages() []sdk.Message {
	file := func(kind, name, mime string, size int64) sdk.Attachment {
		ref := "file-" + kind
		return sdk.Attachment{Kind: kind, Name: name, MIMEType: mime, Size: size, FileRef: ref,
			URL: "http://127.0.0.1:1/files/signed-" + ref}
	}
	msg := func(id string, kind sdk.Kind, text string) sdk.Message {
		return sdk.Message{ID: "sample-" + id, Time: sampleTime, Kind: kind, Text: text, TelegramMessageID: int64(len(id))}
	}
	text := msg("text", sdk.KindText, "Hello <team> & *friends*: my order #42 is late. See https://example.com")
	text.Entities = []sdk.Entity{
		entity("bold", text.Text, "Hello"), entity("italic", text.Text, "my order #42"),
		entity("code", text.Text, "#42"), entity("url", text.Text, "https://example.com"),
	}
	photo := msg("photo", sdk.KindPhoto, "Photo: the damaged box")
	photo.Attachments = []sdk.Attachment{file("photo", "photo.jpg", "image/jpeg", 48213)}
	photo.Attachments[0].Width, photo.Attachments[0].Height = 1280, 960
	doc := msg("document", sdk.KindDocument, "Document: invoice.pdf (120.0 KB)")
	doc.Attachments = []sdk.Attachment{file("document", "invoice \"May\".pdf", "application/pdf", 122880)}
	big := msg("document-too-large", sdk.KindDocument, "Document: backup.zip (25.0 MB), too large to download")
	big.Attachments = []sdk.Attachment{{Kind: "document", Name: "backup.zip", MIMEType: "application/zip", Size: 25 << 20, TooLarge: true, FileRef: "file-too-large"}}
	voice := msg("voice", sdk.KindVoice, "Voice message (0:07)")
	voice.Attachments = []sdk.Attachment{file("voice", "voice.ogg", "audio/ogg", 15000)}
	voice.Attachments[0].DurationSeconds = 7
	loc := msg("location", sdk.KindLocation, "Location: 52.520008, 13.404954")
	loc.Location = &sdk.Location{Latitude: 52.520008, Longitude: 13.404954,
		MapURL: "https://www.openstreetmap.org/?mlat=52.520008&mlon=13.404954#map=16/52.520008/13.404954"}
	venue := msg("venue", sdk.KindVenue, "Venue: Central Station, Europaplatz 1")
	venue.Location = &sdk.Location{Latitude: 52.525, Longitude: 13.369, Title: "Central Station", Address: "Europaplatz 1"}
	contact := msg("contact", sdk.KindContact, "Contact: Anna Smith, +49 30 1234567")
	contact.SharedContact = &sdk.SharedContact{FirstName: "Anna", LastName: "Smith", PhoneNumber: "+49 30 1234567"}
	poll := msg("poll", sdk.KindPoll, "Poll: Which day suits you? (Monday / Tuesday)")
	poll.Poll = &sdk.Poll{Question: "Which day suits you?", Options: []string{"Monday", "Tuesday"}}
	sticker := msg("sticker", sdk.KindSticker, "Sticker 👍")
	sticker.StickerEmoji = "👍"
	sticker.Attachments = []sdk.Attachment{file("sticker", "sticker.webp", "image/webp", 20000)}
	notice := msg("notice", sdk.KindNotice, "The user blocked the bot: replies will not reach them.")
	notice.Notice = &sdk.Notice{Code: sdk.NoticeUserBlocked, Text: notice.Text}
	unsupported := msg("unsupported", sdk.KindUnsupported, "The user sent something Parley cannot show (a story).")
	forward := msg("forward", sdk.KindText, "Forwarded text\nwith two lines")
	forward.Forward = &sdk.Forward{From: "Shop Bot", OriginalTime: sampleTime.Add(-time.Hour)}
	forward.ReplyTo = &sdk.Quote{MessageID: "sample-text", Text: "Hello", FromBot: true}
	edit := msg("edit", sdk.KindText, "Hello team: my order #42 is late (edited).")
	edit.EditOf = text.ID
	return []sdk.Message{text, photo, doc, big, voice, loc, venue, contact, poll, sticker, notice, unsupported, forward, edit}
}

// SampleDeliver wraps m in a DeliverRequest with the sample conversation
// and contact, on the thread ref given (nil for a new lane).
func SampleDeliver(m sdk.Message, threadRef []byte) sdk.DeliverRequest {
	req := sdk.DeliverRequest{Conversation: SampleConversation(), Contact: SampleContact(), Message: m, ThreadRef: threadRef}
	if m.EditOf != "" {
		req.EditOfDeskMessageID = "desk-" + m.EditOf
	}
	return req
}

// sampleFileData is recognisable content of the attachment's size, capped:
// the real host streams what Telegram serves.
func sampleFileData(a sdk.Attachment) []byte {
	n := min(a.Size, 64<<10)
	line := fmt.Sprintf("parley sample %s %s\n", a.Kind, a.Name)
	return []byte(strings.Repeat(line, int(n)/len(line)+1)[:n])
}

// entity marks the first occurrence of sub in text (ASCII, so bytes are runes).
func entity(typ, text, sub string) sdk.Entity {
	return sdk.Entity{Type: typ, Offset: strings.Index(text, sub), Length: len(sub)}
}
