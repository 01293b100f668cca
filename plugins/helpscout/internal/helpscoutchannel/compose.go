package helpscoutchannel

import (
	"context"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// maxUpload is the largest file attached to a thread. Help Scout documents
// 10 MB per attachment (v1; v2 is unverified, and a 413 falls back to a
// link anyway).
const maxUpload = 10 << 20

// Help Scout validates names to 1–40 characters, counted in UTF-16 units
// (Java strings), so an emoji counts twice.
const maxNameUnits = 40

// subjectRunes bounds a subject made from the first words of a message.
const subjectRunes = 60

// body is one thread to post, with a link-only variant for when Help Scout
// refuses the upload (413).
type body struct {
	html        string
	attachments []hsapi.Attachment
	linksOnly   string
}

// compose renders a Telegram message as a thread body. Text is HTML:
// escaped, entities as tags, newlines as <br>. Files are attached when
// upload is on and they fit, else linked; a file Telegram will not hand
// out (over 20 MB) is an alert line.
func compose(ctx context.Context, st *state, m sdk.Message) body {
	upload := st.cfg.UploadFiles && st.host != nil
	head := header(m)
	var atts []hsapi.Attachment
	var lines, links []string
	for _, a := range m.Attachments {
		name := fileName(a)
		size := ""
		if a.Size > 0 {
			size = " (" + format.HumanSize(a.Size) + ")"
		}
		link := "📎 <a href=\"" + html.EscapeString(a.URL) + "\">" + html.EscapeString(name) + "</a>" + size
		switch {
		case a.TooLarge || a.URL == "" && a.FileRef == "":
			alert := "⚠️ <b>" + html.EscapeString(name) + "</b>" + size +
				" is too large for Telegram bots to fetch: ask the customer to send it another way."
			lines, links = append(lines, alert), append(links, alert)
		case upload && a.FileRef != "" && a.Size <= maxUpload:
			ref := a.FileRef
			atts = append(atts, hsapi.Attachment{FileName: name, MIMEType: mimeType(a), Open: func() (io.ReadCloser, error) {
				rc, _, err := st.host.OpenFile(ctx, ref)
				return rc, err
			}})
			links = append(links, link+" (not attached: Help Scout refused the upload)")
		case upload && a.Size > maxUpload:
			l := link + " (not attached: over Help Scout's " + format.HumanSize(maxUpload) + " attachment limit)"
			lines, links = append(lines, l), append(links, l)
		default:
			lines, links = append(lines, link), append(links, link)
		}
	}
	b := body{html: join(head, lines, m), linksOnly: join(head, links, m), attachments: atts}
	return b
}

// noticeEmoji leads the notes of the wave-2 notices, so they read apart
// from the customer's words in the conversation.
var noticeEmoji = map[sdk.NoticeCode]string{
	sdk.NoticeReaction:           "💬",
	sdk.NoticeReactionFailed:     "⚠️",
	sdk.NoticeMessageDeleted:     "🗑️",
	sdk.NoticeDeleteFailed:       "⚠️",
	sdk.NoticeOwnerMessage:       "🏢",
	sdk.NoticeTransfer:           "🔀",
	sdk.NoticeBusinessConnection: "🔌",
}

// header renders everything but the files.
func header(m sdk.Message) []string {
	var parts []string
	if m.OutsideHours {
		parts = append(parts, "<i>🌙 Outside business hours</i>")
	}
	if m.EditOf != "" {
		parts = append(parts, "<i>(edited an earlier message)</i>")
	}
	if m.Forward != nil && m.Forward.From != "" {
		parts = append(parts, "<i>Forwarded from "+html.EscapeString(m.Forward.From)+"</i>")
	}
	if m.ReplyTo != nil && m.ReplyTo.Text != "" {
		parts = append(parts, "<blockquote>"+html.EscapeString(format.Truncate(m.ReplyTo.Text, 300))+"</blockquote>")
	}
	text, entities := m.Text, m.Entities
	if m.Kind == sdk.KindNotice && m.Notice != nil && m.Notice.Text != "" && text == "" {
		text, entities = m.Notice.Text, nil
	}
	if t := format.ToHTML(text, entities); t != "" {
		if n := m.Notice; m.Kind == sdk.KindNotice && n != nil {
			if e, ok := noticeEmoji[n.Code]; ok {
				if n.Code == sdk.NoticeReaction && n.Emoji != "" {
					e = html.EscapeString(n.Emoji)
				}
				t = e + " " + t
			}
		}
		parts = append(parts, t)
	}
	if l := m.Location; l != nil {
		where := strings.TrimSpace(l.Title + " " + l.Address)
		if where == "" {
			where = "Location"
		}
		href := l.MapURL
		if href == "" {
			href = format.MapLink(l.Latitude, l.Longitude)
		}
		parts = append(parts, "📍 <a href=\""+html.EscapeString(href)+"\">"+html.EscapeString(where)+"</a>")
	}
	return parts
}

func join(head, files []string, m sdk.Message) string {
	all := append(append([]string(nil), head...), files...)
	if len(all) == 0 {
		// Help Scout refuses an empty thread text.
		return "<i>(" + html.EscapeString(string(m.Kind)) + ")</i>"
	}
	return strings.Join(all, "<br>")
}

func fileName(a sdk.Attachment) string {
	if a.Name != "" {
		return a.Name
	}
	kind := a.Kind
	if kind == "" {
		kind = "file"
	}
	switch a.MIMEType {
	case "image/jpeg":
		return kind + ".jpg"
	case "audio/ogg":
		return kind + ".ogg"
	case "video/mp4":
		return kind + ".mp4"
	}
	return kind
}

func mimeType(a sdk.Attachment) string {
	if a.MIMEType != "" {
		return a.MIMEType
	}
	return "application/octet-stream"
}

// subject is the first words of the message, or "Telegram: <name>" when it
// has no text (a sticker, a photo without caption).
func subject(m sdk.Message, ct sdk.Contact) string {
	words := strings.Fields(m.Text)
	if len(words) == 0 {
		return "Telegram: " + ct.DisplayName()
	}
	var b strings.Builder
	for i, w := range words {
		n := len([]rune(b.String()))
		if n > 0 && n+1+len([]rune(w)) > subjectRunes {
			b.WriteString("…")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return format.Truncate(b.String(), subjectRunes+1)
}

// newCustomer describes a Telegram user as a Help Scout customer. Help
// Scout needs something to identify a customer; a Telegram user has no
// e-mail (and a fake one would collect bounces), so the identity is a chat
// handle of type "other" with value "telegram:<user id>" (stable,
// machine-readable, shown in the sidebar), plus the public t.me link as a
// website when the user has a username.
func newCustomer(ct sdk.Contact) hsapi.NewCustomer {
	id := strconv.FormatInt(ct.TelegramUserID, 10)
	first := clipUnits(strings.TrimSpace(ct.FirstName), maxNameUnits)
	last := clipUnits(strings.TrimSpace(ct.LastName), maxNameUnits)
	if first == "" && last == "" {
		first = clipUnits(ct.DisplayName(), maxNameUnits)
	}
	bg := "Telegram user " + id
	if ct.Username != "" {
		bg += " (@" + ct.Username + ")"
	}
	cu := hsapi.NewCustomer{
		FirstName:  first,
		LastName:   last,
		Background: bg + ", via Parley",
		Chats:      []hsapi.Handle{{Type: "other", Value: "telegram:" + id}},
	}
	if ct.Username != "" {
		cu.Websites = []hsapi.Handle{{Value: "https://t.me/" + ct.Username}}
	}
	if len(ct.PhotoURL) <= maxPhotoURL {
		cu.PhotoURL = ct.PhotoURL
	}
	return cu
}

// maxPhotoURL is Help Scout's limit on a customer's photoUrl; a longer
// link is left out rather than failing the customer's creation.
const maxPhotoURL = 200

// viaLine names where the customer wrote, for the first thread of a
// conversation: the bot, when the host runs several, and the Telegram
// Business account. Empty for a one-bot host.
func viaLine(conv sdk.Conversation) string {
	var parts []string
	if conv.Bot != "" && conv.Bot != defaultBot {
		parts = append(parts, "bot <b>"+html.EscapeString(conv.Bot)+"</b>")
	}
	if b := conv.Business; b != nil {
		who := b.Account.Name
		if who == "" && b.Account.Username != "" {
			who = "@" + b.Account.Username
		} else if b.Account.Username != "" {
			who += " (@" + b.Account.Username + ")"
		}
		if who == "" {
			who = "a Business account"
		}
		parts = append(parts, "<b>"+html.EscapeString(who)+"</b> (Telegram Business)")
	}
	if len(parts) == 0 {
		return ""
	}
	return "<i>via " + strings.Join(parts, " · ") + "</i>"
}

// defaultBot is the bot name of a one-bot host, not worth showing.
const defaultBot = "default"

// conversationTags are the tags of a new conversation: "telegram", the
// configured ones, "bot-<name>" for a bot other than the default and
// "telegram-business" for a Business chat, so a mailbox can filter by
// them.
func conversationTags(conv sdk.Conversation, configured []string) []string {
	tags := append([]string{"telegram"}, configured...)
	if conv.Bot != "" && conv.Bot != defaultBot {
		tags = append(tags, "bot-"+conv.Bot)
	}
	if conv.Business != nil {
		tags = append(tags, "telegram-business")
	}
	return tags
}

// clipUnits cuts s to at most n UTF-16 code units, never inside a rune.
func clipUnits(s string, n int) string {
	units := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if units+w > n {
			return strings.TrimSpace(s[:i])
		}
		units += w
	}
	return s
}
