package slackchannel

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
	"github.com/slack-go/slack"
)

// escape makes untrusted text inert in mrkdwn: only &, < and > are control
// characters, and escaping < also stops "<!channel>" pings.
func escape(s string) string { return format.EscapeHTML(s) }

// slackURL makes a URL safe inside <url|label>.
var slackURL = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C")

// link is a mrkdwn link; the label may not contain "|" or ">".
func link(target, label string) string {
	return "<" + slackURL.Replace(target) + "|" + strings.NewReplacer("|", "¦").Replace(escape(label)) + ">"
}

// headerMessage is the thread parent: a header block with the customer's
// name, a section of facts, the link to the conversation this one follows,
// the conversation's state with the buttons that change it, and the
// notification fallback text.
//
// hint ends the header's help line: which reactions work, if any.
func headerMessage(conv sdk.Conversation, ct sdk.Contact, v headerView, hint string) (string, []slack.Block) {
	name := ct.DisplayName()
	var fields []*slack.TextBlockObject
	field := func(label, value string) {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, "*"+label+"*\n"+value, false, false))
	}
	if ct.Username != "" {
		field("Username", link("https://t.me/"+url.PathEscape(ct.Username), "@"+ct.Username))
	}
	if ct.LanguageCode != "" {
		field("Language", escape(ct.LanguageCode))
	}
	field("Telegram ID", "`"+strconv.FormatInt(ct.TelegramUserID, 10)+"`")
	if conv.StartPayload != "" {
		field("Start payload", "`"+escape(conv.StartPayload)+"`")
	}
	if !conv.StartedAt.IsZero() {
		// Slack renders <!date^...> in each reader's time zone; the
		// fallback is UTC.
		field("Started", fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>",
			conv.StartedAt.Unix(), conv.StartedAt.UTC().Format("2006-01-02 15:04 UTC")))
	}
	if conv.Number > 0 {
		field("Conversation", "#"+strconv.FormatInt(conv.Number, 10))
	}
	via := viaText(conv)
	if via != "" {
		field("Via", escape(via))
	}
	title := name
	if len([]rune(title)) > 140 { // header blocks hold at most 150 characters
		title = string([]rune(title)[:140]) + "…"
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "💬 "+title, true, false)),
		slack.NewSectionBlock(nil, fields, nil),
	}
	if v.Previous != "" {
		blocks = append(blocks, slack.NewContextBlock(previousBlockID,
			slack.NewTextBlockObject(slack.MarkdownType, v.Previous, false, false)))
	}
	status := v.status()
	blocks = append(blocks,
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+status+"*", false, false), nil, nil,
			slack.SectionBlockOptionBlockID(statusBlockID)),
		slack.NewActionBlock(actionsBlockID, v.buttons()...),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			joinSentences("Reply in this thread to answer on Telegram. Messages starting with the internal prefix stay internal.", hint),
			false, false)),
	)
	text := "Telegram conversation: " + escape(name)
	if ct.Username != "" {
		text += " (@" + escape(ct.Username) + ")"
	}
	if via != "" {
		text += " via " + escape(via)
	}
	return text + " · " + status, blocks
}

// viaText names where the customer wrote when it is not the host's only
// bot: the bot's name, and the Telegram Business account the bot answers
// for ("Acme Ltd (@acme, Telegram Business)"). Empty for a one-bot host.
func viaText(conv sdk.Conversation) string {
	var parts []string
	if conv.Bot != "" && conv.Bot != defaultBot {
		parts = append(parts, "bot "+conv.Bot)
	}
	if b := conv.Business; b != nil {
		who := firstNonEmpty(b.Account.Name, "@"+b.Account.Username)
		if b.Account.Name == "" && b.Account.Username == "" {
			who = "a Business account"
		}
		label := "Telegram Business"
		if b.Account.Name != "" && b.Account.Username != "" {
			label = "@" + b.Account.Username + ", " + label
		}
		parts = append(parts, who+" ("+label+")")
	}
	return strings.Join(parts, " · ")
}

// defaultBot is the bot name of a one-bot host, not worth showing.
const defaultBot = "default"

// renderMessage renders a customer message (without its files) as mrkdwn
// for a new thread reply: an edit posted as a reply of its own leads with
// a mark, since it does not sit where the original does.
func renderMessage(m sdk.Message) string {
	body := renderContent(m)
	if m.EditOf != "" {
		return joinLines("✏️ _edited_", body)
	}
	return body
}

// editedMark ends the text of a message edited in place, so the agent can
// tell the customer changed it whatever a Slack client shows for an app's
// edit.
const editedMark = "_(edited)_"

// markEdited appends [editedMark] to text: on the last line, as Slack
// does, unless that line is a quote or ends a code block, which would
// swallow it.
func markEdited(text string) string {
	last := text[strings.LastIndexByte(text, '\n')+1:]
	if text == "" || strings.HasPrefix(last, ">") || strings.HasSuffix(last, "```") {
		return joinLines(text, editedMark)
	}
	return text + " " + editedMark
}

// renderContent renders what a customer message says (without its files)
// as mrkdwn: formatted text, then marked context lines for everything that
// is not plain text.
func renderContent(m sdk.Message) string {
	var lines []string
	mark := func(emoji, s string) { lines = append(lines, emoji+" _"+s+"_") }

	if m.OutsideHours && m.Notice == nil {
		mark("🌙", "outside business hours")
	}
	if m.Forward != nil {
		from := firstNonEmpty(m.Forward.From, "someone")
		mark("↪️", "forwarded from "+escape(from))
	}
	if q := m.ReplyTo; q != nil && q.Text != "" {
		who := "customer"
		if q.FromBot {
			who = "agent"
		}
		quoted := firstLine(q.Text, 200)
		lines = append(lines, "> _replying to "+who+":_ "+escape(quoted))
	}
	if m.Notice != nil {
		lines = append(lines, noticeMark+noticeText(m.Notice)+"_")
		return strings.Join(lines, "\n")
	}
	body := format.ToSlackMrkdwn(m.Text, m.Entities)
	switch m.Kind {
	case sdk.KindLocation, sdk.KindVenue:
		if l := m.Location; l != nil {
			label := "📍 " + firstNonEmpty(strings.TrimSpace(l.Title+" "+l.Address),
				fmt.Sprintf("%.5f, %.5f", l.Latitude, l.Longitude))
			target := l.MapURL
			if target == "" {
				target = fmt.Sprintf("https://www.openstreetmap.org/?mlat=%f&mlon=%f#map=16/%f/%f",
					l.Latitude, l.Longitude, l.Latitude, l.Longitude)
			}
			body = link(target, label)
		}
	case sdk.KindContact:
		if sc := m.SharedContact; sc != nil {
			who := strings.TrimSpace(sc.FirstName + " " + sc.LastName)
			mark("📇", "contact: "+escape(firstNonEmpty(who, "unnamed"))+", "+escape(sc.PhoneNumber))
			body = ""
		}
	case sdk.KindPoll:
		if p := m.Poll; p != nil {
			mark("📊", "poll: "+escape(p.Question))
			for _, o := range p.Options {
				lines = append(lines, "• "+escape(o))
			}
			body = ""
		}
	case sdk.KindSticker:
		mark("🏷️", "sticker "+escape(m.StickerEmoji))
		body = ""
	case sdk.KindUnsupported:
		mark("❔", "unsupported message: "+escape(firstNonEmpty(m.Text, "the bot cannot show it")))
		body = ""
	}
	if body != "" {
		lines = append(lines, body)
	}
	return strings.Join(lines, "\n")
}

// noticeMark starts the post of a host notice, which tells it from a
// customer's message when a post is read back.
const noticeMark = "⚠️ _"

// noticeText is the line for a host notice.
func noticeText(n *sdk.Notice) string {
	if n.Text != "" {
		return escape(n.Text)
	}
	switch n.Code {
	case sdk.NoticeUserBlocked:
		return "the user blocked the bot; replies will not reach them"
	case sdk.NoticeDeliveryFailed, sdk.NoticeReplyFailed:
		return "a reply could not be delivered to the user"
	case sdk.NoticeFileTooLarge:
		return "the user sent a file too large for the bot to fetch"
	case sdk.NoticeAttachmentFailed:
		return "a file of the reply could not be delivered"
	}
	return escape(string(n.Code))
}

// attachmentLines renders files as links, or only the too-large warnings
// when withLinks is false (the files are uploaded instead).
func attachmentLines(atts []sdk.Attachment, withLinks bool) string {
	var lines []string
	for _, a := range atts {
		switch {
		case a.TooLarge:
			lines = append(lines, "⚠️ _file too large for Telegram bots to fetch: "+escape(fileLabel(a))+"_")
		case withLinks:
			lines = append(lines, linkLine(a))
		}
	}
	return strings.Join(lines, "\n")
}

// linkLine is "📎 <url|name> (size)".
func linkLine(a sdk.Attachment) string {
	name := firstNonEmpty(a.Name, a.Kind, "file")
	line := "📎 " + link(a.URL, name)
	if a.URL == "" {
		line = "📎 " + escape(name)
	}
	if a.Size > 0 {
		line += " (" + humanize.IBytes(uint64(a.Size)) + ")"
	}
	return line
}

func fileLabel(a sdk.Attachment) string {
	s := firstNonEmpty(a.Name, a.Kind, "file")
	if a.Size > 0 {
		s += " (" + humanize.IBytes(uint64(a.Size)) + ")"
	}
	return s
}

func firstLine(s string, max int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

func joinSentences(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}
