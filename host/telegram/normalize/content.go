package normalize

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// convert turns a message of a private chat into an sdk.Message (without
// Time and edit fields, which the caller sets).
func convert(m *telego.Message, opts Options) sdk.Message {
	msg := sdk.Message{
		ID:                MessageID(m.Chat.ID, int64(m.MessageID)),
		MediaGroupID:      m.MediaGroupID,
		TelegramMessageID: int64(m.MessageID),
		Forward:           forward(m.ForwardOrigin),
		ReplyTo:           replyTo(m, opts),
	}
	summary := content(m, &msg)
	switch {
	case msg.Kind == sdk.KindText:
		msg.Text = m.Text
		msg.Entities = entities(m.Text, m.Entities, 0)
	case m.Caption != "":
		msg.Text = summary + "\n" + m.Caption
		msg.Entities = entities(m.Caption, m.CaptionEntities, utf8.RuneCountInString(summary)+1)
	default:
		msg.Text = summary
	}
	return msg
}

// content fills the kind and the kind's fields of msg and returns the
// one-line summary an agent reads when the desk shows only text.
func content(m *telego.Message, msg *sdk.Message) string {
	switch {
	case m.Text != "":
		msg.Kind = sdk.KindText
		return m.Text
	case m.Animation != nil: // before Document: an animation sets both
		a := animationAttachment(m.Animation)
		msg.Kind, msg.Attachments = sdk.KindAnimation, []sdk.Attachment{a}
		return withDetails("🎞 GIF", a)
	case len(m.Photo) > 0:
		a := photoAttachment(m.Photo)
		msg.Kind, msg.Attachments = sdk.KindPhoto, []sdk.Attachment{a}
		return withDetails("🖼 Photo", a)
	case m.Sticker != nil:
		a := stickerAttachment(m.Sticker)
		msg.Kind, msg.Attachments, msg.StickerEmoji = sdk.KindSticker, []sdk.Attachment{a}, m.Sticker.Emoji
		return strings.TrimSpace("Sticker " + m.Sticker.Emoji)
	case m.Video != nil:
		a := videoAttachment(m.Video)
		msg.Kind, msg.Attachments = sdk.KindVideo, []sdk.Attachment{a}
		return withDetails("🎬 Video", a)
	case m.VideoNote != nil:
		a := videoNoteAttachment(m.VideoNote)
		msg.Kind, msg.Attachments = sdk.KindVideoNote, []sdk.Attachment{a}
		return withDetails("📹 Video message", a)
	case m.Voice != nil:
		a := voiceAttachment(m.Voice)
		msg.Kind, msg.Attachments = sdk.KindVoice, []sdk.Attachment{a}
		return withDetails("🎤 Voice message", a)
	case m.Audio != nil:
		a := audioAttachment(m.Audio)
		msg.Kind, msg.Attachments = sdk.KindAudio, []sdk.Attachment{a}
		return withDetails("🎵 "+audioTitle(m.Audio, a.Name), a)
	case m.Document != nil:
		a := documentAttachment(m.Document)
		msg.Kind, msg.Attachments = sdk.KindDocument, []sdk.Attachment{a}
		return withDetails("📎 "+a.Name, a)
	case m.Venue != nil: // before Location: a venue sets both
		loc := location(m.Venue.Location)
		loc.Title, loc.Address = m.Venue.Title, m.Venue.Address
		msg.Kind, msg.Location = sdk.KindVenue, &loc
		return "📍 " + joinNonEmpty(", ", loc.Title, loc.Address) + ": " + coordinates(loc) + " " + loc.MapURL
	case m.Location != nil:
		loc := location(*m.Location)
		msg.Kind, msg.Location = sdk.KindLocation, &loc
		return "📍 Location: " + coordinates(loc) + " " + loc.MapURL
	case m.Contact != nil:
		c := m.Contact
		msg.Kind = sdk.KindContact
		msg.SharedContact = &sdk.SharedContact{
			FirstName: c.FirstName, LastName: c.LastName, PhoneNumber: c.PhoneNumber, TelegramUserID: c.UserID,
		}
		return "👤 Contact: " + joinNonEmpty(" ", c.FirstName, c.LastName, c.PhoneNumber)
	case m.Poll != nil:
		p := &sdk.Poll{Question: m.Poll.Question}
		for _, o := range m.Poll.Options {
			p.Options = append(p.Options, o.Text)
		}
		msg.Kind, msg.Poll = sdk.KindPoll, p
		label := "Poll"
		if m.Poll.Type == telego.PollTypeQuiz {
			label = "Quiz"
		}
		return "📊 " + label + ": " + p.Question + " — " + strings.Join(p.Options, " / ")
	default:
		msg.Kind = sdk.KindUnsupported
		return Unsupported(contentField(m))
	}
}

// Unsupported is the text of a message Parley cannot show: "unsupported
// message type dice".
func Unsupported(what string) string {
	return "unsupported message type " + what
}

// metaFields are the Message fields that describe a message rather than
// carry its content.
var metaFields = []string{
	"author_signature", "business_connection_id", "caption", "caption_entities", "chat", "date",
	"direct_messages_topic", "edit_date", "effect_id", "entities", "external_reply", "forward_origin", "from",
	"has_media_spoiler", "has_protected_content", "is_automatic_forward", "is_from_offline", "is_paid_post",
	"is_topic_message", "link_preview_options", "media_group_id", "message_id", "message_thread_id",
	"paid_star_count", "quote", "reply_markup", "reply_to_checklist_task_id", "reply_to_message",
	"reply_to_story", "sender_boost_count", "sender_business_bot", "sender_chat", "show_caption_above_media",
	"suggested_post_info", "text", "via_bot",
}

// contentField names the field that holds a message's content ("dice",
// "game", "story", ...). It reads the JSON form so that fields telego adds
// later are named too, not lumped together as "unknown".
func contentField(m *telego.Message) string {
	raw, err := json.Marshal(m)
	if err != nil {
		return "unknown"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return "unknown"
	}
	return firstContentField(fields)
}

// firstContentField returns the first (sorted) field of a message that is
// not metadata, or "unknown".
func firstContentField(fields map[string]json.RawMessage) string {
	var names []string
	for k := range fields {
		if !slices.Contains(metaFields, k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return "unknown"
	}
	slices.Sort(names)
	return names[0]
}

// forward says who a forwarded message came from.
func forward(o telego.MessageOrigin) *sdk.Forward {
	if o == nil {
		return nil
	}
	f := &sdk.Forward{OriginalTime: time.Unix(o.OriginalDate(), 0).UTC()}
	switch o := o.(type) {
	case *telego.MessageOriginUser:
		f.From = userName(&o.SenderUser)
	case *telego.MessageOriginHiddenUser:
		f.From = o.SenderUserName
	case *telego.MessageOriginChat:
		f.From = joinNonEmpty(" — ", o.SenderChat.Title, o.AuthorSignature)
	case *telego.MessageOriginChannel:
		f.From = joinNonEmpty(" — ", o.Chat.Title, o.AuthorSignature)
	}
	if f.From == "" {
		f.From = "unknown sender"
	}
	return f
}

// replyTo describes the message m answers. Telegram includes it one level
// deep; a quoted fragment, when the user picked one, is what they meant.
func replyTo(m *telego.Message, opts Options) *sdk.Quote {
	r := m.ReplyToMessage
	if r == nil {
		if m.Quote != nil {
			return &sdk.Quote{Text: m.Quote.Text}
		}
		return nil
	}
	q := &sdk.Quote{MessageID: MessageID(m.Chat.ID, int64(r.MessageID))}
	switch {
	case m.Quote != nil && m.Quote.Text != "":
		q.Text = m.Quote.Text
	case r.Text != "":
		q.Text = r.Text
	default:
		var inner sdk.Message
		q.Text = content(r, &inner)
		if r.Caption != "" {
			q.Text += "\n" + r.Caption
		}
	}
	if r.From != nil {
		q.FromBot = r.From.IsBot
		if opts.BotID != 0 {
			q.FromBot = r.From.ID == opts.BotID
		}
	}
	return q
}

func userName(u *telego.User) string {
	return sdk.Contact{
		TelegramUserID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username,
	}.DisplayName()
}

func joinNonEmpty(sep string, parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), sep)
}
