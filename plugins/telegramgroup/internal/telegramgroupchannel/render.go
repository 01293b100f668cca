package telegramgroupchannel

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// Telegram's limits, in characters after entity parsing.
const (
	maxText    = 4096
	maxCaption = 1024
	maxTopic   = 128
	// maxParts bounds how many messages one delivery may become: the group
	// takes about 20 a minute, and a customer's message fits in one.
	maxParts = 3
)

// closedMark starts a closed conversation's topic name.
const closedMark = "✅ "

// topicName is the topic's name: "Ada Lovelace @ada_l #42", with ✅ in
// front once the conversation is closed.
func topicName(conv sdk.Conversation, ct sdk.Contact, closed bool) string {
	tail := ""
	if ct.Username != "" && ct.FirstName+ct.LastName != "" {
		tail += " @" + ct.Username
	}
	if conv.Number > 0 {
		tail += " #" + strconv.FormatInt(conv.Number, 10)
	}
	head := ""
	if closed {
		head = closedMark
	}
	name := ct.DisplayName()
	if room := maxTopic - utf8.RuneCountInString(head+tail); utf8.RuneCountInString(name) > room {
		name = string([]rune(name)[:max(room-1, 1)]) + "…"
	}
	return head + name + tail
}

// header is the topic's first message: who the customer is.
func header(st *state, conv sdk.Conversation, ct sdk.Contact, prev []byte) string {
	e := format.EscapeHTML
	var b strings.Builder
	fmt.Fprintf(&b, "👤 <b>%s</b>", e(ct.DisplayName()))
	if ct.Username != "" {
		fmt.Fprintf(&b, " (<a href=\"https://t.me/%s\">@%s</a>)", e(ct.Username), e(ct.Username))
	}
	b.WriteString("\n")
	if ct.LanguageCode != "" {
		fmt.Fprintf(&b, "Language: %s\n", e(ct.LanguageCode))
	}
	fmt.Fprintf(&b, "Telegram id: <code>%d</code>\n", ct.TelegramUserID)
	if conv.Bot != "" && conv.Bot != "default" {
		// Which of the host's bots the customer wrote to; a one-bot host
		// names its bot "default", which says nothing.
		fmt.Fprintf(&b, "Bot: %s\n", e(conv.Bot))
	}
	if bz := conv.Business; bz != nil {
		fmt.Fprintf(&b, "Via the Business account of %s", e(bz.Account.Name))
		if bz.Account.Username != "" {
			fmt.Fprintf(&b, " (@%s)", e(bz.Account.Username))
		}
		b.WriteString("\n")
	}
	if conv.StartPayload != "" {
		fmt.Fprintf(&b, "Start payload: <code>%s</code>\n", e(conv.StartPayload))
	}
	if conv.Number > 0 {
		fmt.Fprintf(&b, "Conversation #%d\n", conv.Number)
	}
	if conv.PreviousNumber > 0 || len(prev) > 0 {
		b.WriteString("Previous conversation")
		if conv.PreviousNumber > 0 {
			fmt.Fprintf(&b, " #%d", conv.PreviousNumber)
		}
		if r, ok := parseRef(prev); ok && r.Group == st.cfg.GroupID {
			fmt.Fprintf(&b, ": <a href=\"%s\">its topic</a>", topicLink(r))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n<i>Write in this topic to answer")
	if p := st.cfg.prefix(); p != "" {
		fmt.Fprintf(&b, "; start with %s for a note the customer does not see", e(p))
	}
	b.WriteString(". /claim, /unclaim, /close, /reopen.</i>")
	return b.String()
}

// body is a customer message as Telegram HTML: what it answers or where
// it was forwarded from, then its formatted text.
func body(m sdk.Message) string {
	var lines []string
	if m.EditOf != "" {
		lines = append(lines, "✏️ <i>edited:</i>")
	}
	if f := m.Forward; f != nil && f.From != "" {
		lines = append(lines, "↪️ <i>Forwarded from "+format.EscapeHTML(f.From)+"</i>")
	}
	if q := m.ReplyTo; q != nil && q.Text != "" {
		who := "their earlier message"
		if q.FromBot {
			who = "an answer"
		}
		lines = append(lines, "↩️ <i>In reply to "+who+":</i> «"+format.EscapeHTML(format.Truncate(oneLine(q.Text), 200))+"»")
	}
	text := format.ToTelegramHTML(m.Text, m.Entities)
	if m.Kind == sdk.KindSticker && m.StickerEmoji != "" && len(m.Attachments) > 0 {
		text = "" // the sticker shows itself
	}
	if l := m.Location; l != nil && l.MapURL != "" {
		text = joinLines(text, "🗺 "+format.EscapeHTML(l.MapURL))
	}
	if text != "" {
		lines = append(lines, text)
	}
	return strings.Join(lines, "\n")
}

// fileLine stands for a file that is not uploaded: a link, or the alert
// for one Telegram will not let bots download.
func fileLine(a sdk.Attachment) string {
	name := a.Name
	if name == "" {
		name = a.Kind
	}
	if name == "" {
		name = "file"
	}
	size := ""
	if a.Size > 0 {
		size = " (" + format.HumanSize(a.Size) + ")"
	}
	if a.TooLarge || a.URL == "" {
		return fmt.Sprintf("⚠️ <b>%s</b>%s is too large for bots to download: ask the customer for a smaller file or a link",
			format.EscapeHTML(name), size)
	}
	return fmt.Sprintf("📎 <a href=\"%s\">%s</a>%s", format.EscapeHTML(a.URL), format.EscapeHTML(name), size)
}

// noticeLine is a host notice as a short line in the topic.
func noticeLine(n *sdk.Notice) string {
	who := n.Agent
	if who == "" {
		who = "an agent"
	}
	e := format.EscapeHTML
	switch n.Code {
	case sdk.NoticeConversationClaimed:
		return "👀 Claimed by " + e(who)
	case sdk.NoticeConversationUnclaimed:
		return "Unclaimed by " + e(who)
	case sdk.NoticeConversationClosed:
		switch n.Reason {
		case sdk.CloseByIdle:
			return "✅ Closed: no activity"
		case sdk.CloseByCustomer:
			return "✅ Closed by the customer"
		case sdk.CloseByOperator:
			return "✅ Closed by the operator"
		}
		return "✅ Closed by " + e(who)
	case sdk.NoticeConversationReopened:
		if n.Agent == "" {
			return "↩️ Reopened"
		}
		return "↩️ Reopened by " + e(who)
	case sdk.NoticeRating:
		scale := n.Scale
		if scale <= 0 {
			scale = 5
		}
		return fmt.Sprintf("⭐ Rating: %d/%d", n.Score, scale)
	case sdk.NoticeUserBlocked, sdk.NoticeDeliveryFailed, sdk.NoticeReplyFailed, sdk.NoticeAttachmentFailed,
		sdk.NoticeFileTooLarge:
		return "⚠️ <i>" + e(n.Text) + "</i>"
	}
	return "ℹ️ <i>" + e(n.Text) + "</i>"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

// parts splits HTML into at most maxParts messages of limit characters.
func parts(html string, limit int) []string {
	if strings.TrimSpace(format.StripHTML(html)) == "" {
		return nil
	}
	// Telegram counts UTF-16 units, SplitHTML runes: keep a margin for
	// characters outside the BMP and the cut line.
	p := format.SplitHTML(html, limit-96)
	if len(p) > maxParts {
		p = p[:maxParts]
		p[maxParts-1] += "\n<i>… (cut: too long for the group)</i>"
	}
	return p
}

// fits reports whether html is short enough for a caption.
func fits(html string) bool {
	return utf8.RuneCountInString(format.StripHTML(html)) <= maxCaption
}
