package telegramgroupchannel

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// allowedUpdates are the updates the staff bot asks for.
var allowedUpdates = []string{"message", "edited_message"}

// outcome is what one update means for the host.
type outcome struct {
	replies []sdk.Reply
	actions []sdk.Action
}

// commands are the lifecycle commands agents type in a topic.
var commands = map[string]sdk.ActionKind{
	"close": sdk.ActionClose, "reopen": sdk.ActionReopen, "claim": sdk.ActionClaim, "unclaim": sdk.ActionUnclaim,
}

// outcomeOf reads one update. Only people's messages in a topic of the
// group count; service messages, other bots, the General topic, internal
// notes and commands for other bots stay in the group.
func (st *state) outcomeOf(u telego.Update) outcome {
	m, edit := u.Message, false
	if m == nil {
		m, edit = u.EditedMessage, true
	}
	if m == nil || m.Chat.ID != st.cfg.GroupID || m.From == nil || m.From.IsBot || !m.IsTopicMessage || m.MessageThreadID == 0 {
		return outcome{}
	}
	ref := threadRef{Group: st.cfg.GroupID, Topic: m.MessageThreadID}.encode()
	agent := strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	text, entities := m.Text, m.Entities
	if text == "" {
		text, entities = m.Caption, m.CaptionEntities
	}
	if p := st.cfg.prefix(); p != "" && strings.HasPrefix(strings.TrimSpace(text), p) {
		return outcome{}
	}
	if cmd, ok := command(text, entities); ok {
		name, bot, _ := strings.Cut(cmd, "@")
		kind, known := commands[strings.ToLower(name)]
		if edit || !known || (bot != "" && !strings.EqualFold(bot, st.me.Username)) {
			return outcome{} // another bot's or no lifecycle command: not for the customer
		}
		return outcome{actions: []sdk.Action{{Kind: kind, ThreadRef: ref, ExternalID: "cmd:" + strconv.Itoa(m.MessageID), Agent: agent}}}
	}
	r := sdk.Reply{ThreadRef: ref, ExternalID: strconv.Itoa(m.MessageID), Author: agent,
		Text: format.ToTelegramHTML(text, toSDKEntities(text, entities)), Format: sdk.FormatTelegramHTML}
	if edit {
		r.EditOf, r.ExternalID = r.ExternalID, r.ExternalID+"@"+strconv.FormatInt(m.EditDate, 10)
		if r.Text == "" {
			return outcome{} // a file's edit without text: nothing the customer can be shown
		}
	} else {
		r.Attachments = st.attachments(m)
	}
	if r.Text == "" && len(r.Attachments) == 0 {
		return outcome{} // a service message: a topic renamed, a member joined, a pin
	}
	return outcome{replies: []sdk.Reply{r}}
}

// command is the bot command a message starts with ("close@staff_bot").
func command(text string, entities []telego.MessageEntity) (string, bool) {
	for _, e := range entities {
		if e.Type == "bot_command" && e.Offset == 0 {
			u := utf16.Encode([]rune(text))
			if e.Length > len(u) || e.Length < 2 {
				return "", false
			}
			return string(utf16.Decode(u[1:e.Length])), true
		}
	}
	return "", false
}

// attachments are a message's files, each with a ref only this plugin
// (holding the token) can have made.
func (st *state) attachments(m *telego.Message) []sdk.ReplyAttachment {
	var out []sdk.ReplyAttachment
	add := func(id, name, mime string, size int64) {
		out = append(out, sdk.ReplyAttachment{Ref: st.signRef(id), Name: name, MIMEType: mime, Size: size})
	}
	switch {
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size
		add(p.FileID, "photo.jpg", "image/jpeg", int64(p.FileSize))
	case m.Document != nil:
		add(m.Document.FileID, firstNonEmpty(m.Document.FileName, "file"), m.Document.MimeType, m.Document.FileSize)
	case m.Voice != nil:
		add(m.Voice.FileID, "voice.ogg", firstNonEmpty(m.Voice.MimeType, "audio/ogg"), m.Voice.FileSize)
	case m.Audio != nil:
		add(m.Audio.FileID, firstNonEmpty(m.Audio.FileName, "audio.mp3"), m.Audio.MimeType, m.Audio.FileSize)
	case m.Video != nil:
		add(m.Video.FileID, firstNonEmpty(m.Video.FileName, "video.mp4"), m.Video.MimeType, m.Video.FileSize)
	case m.Animation != nil:
		add(m.Animation.FileID, firstNonEmpty(m.Animation.FileName, "animation.mp4"), m.Animation.MimeType, m.Animation.FileSize)
	case m.VideoNote != nil:
		add(m.VideoNote.FileID, "video_note.mp4", "video/mp4", int64(m.VideoNote.FileSize))
	case m.Sticker != nil:
		name, mime := "sticker.webp", "image/webp"
		switch {
		case m.Sticker.IsAnimated:
			name, mime = "sticker.tgs", "application/x-tgsticker"
		case m.Sticker.IsVideo:
			name, mime = "sticker.webm", "video/webm"
		}
		add(m.Sticker.FileID, name, mime, int64(m.Sticker.FileSize))
	}
	return out
}

// toSDKEntities turns Telegram's entities (UTF-16 offsets) into the SDK's
// (rune offsets), dropping any that do not fit the text.
func toSDKEntities(text string, es []telego.MessageEntity) []sdk.Entity {
	if len(es) == 0 {
		return nil
	}
	// runeAt[i] is the rune index at UTF-16 unit i.
	var runeAt []int
	n := 0
	for _, r := range text {
		runeAt = append(runeAt, n)
		if utf16.RuneLen(r) == 2 {
			runeAt = append(runeAt, n)
		}
		n++
	}
	runeAt = append(runeAt, n)
	var out []sdk.Entity
	for _, e := range es {
		end := e.Offset + e.Length
		if e.Offset < 0 || e.Length <= 0 || end > len(runeAt)-1 {
			continue
		}
		start, stop := runeAt[e.Offset], runeAt[end]
		if runeAt[end-1] == stop {
			// The end falls inside a surrogate pair: the entity takes the
			// whole character rather than none of it (a fuzz find: an
			// entity of one unit on "🚚" came out empty).
			stop++
		}
		out = append(out, sdk.Entity{Type: e.Type, Offset: start, Length: stop - start, URL: e.URL, Language: e.Language})
	}
	return out
}
