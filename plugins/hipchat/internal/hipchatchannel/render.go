package hipchatchannel

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// HipChat's limits.
const (
	// messageLimit is the longest notification, counted after escaping.
	messageLimit = 10000
	// fromLimit keeps the "from" label within what every HipChat version
	// and client accepted (25; the v2 API allowed more).
	fromLimit = 25
)

// render turns one Telegram message into the notifications that show it in
// the room, in order: the message itself (split when too long), then a red
// alert for each file too large to link. Customer text is always escaped
// HTML: in html format HipChat processes no @mentions and no emoticons.
func render(req sdk.DeliverRequest, cfg config) []hcapi.Notification {
	m := req.Message
	handle := "#" + strconv.FormatInt(req.Conversation.Number, 10)
	from := format.Truncate(req.Contact.DisplayName(), fromLimit)
	base := hcapi.Notification{MessageFormat: "html", Color: cfg.Color, Notify: cfg.Notify, From: from}

	if m.Kind == sdk.KindNotice {
		n := base
		n.Color, n.Notify = "gray", false
		if line := lifecycleLine(m.Notice); line != "" {
			n.Message = "<b>" + handle + "</b> " + format.EscapeHTML(line)
			return []hcapi.Notification{n}
		}
		text := m.Text
		if m.Notice != nil && m.Notice.Text != "" {
			text = m.Notice.Text
		}
		head := "<b>" + handle + "</b> "
		if m.Notice != nil {
			if mark, ok := noticeMarks[m.Notice.Code]; ok {
				if m.Notice.Code == sdk.NoticeReaction && m.Notice.Emoji != "" {
					mark.emoji = m.Notice.Emoji
				}
				head += format.EscapeHTML(mark.emoji) + " "
				if mark.color != "" {
					n.Color = mark.color
				}
			}
		}
		return splitNotification(n, head, br(format.EscapeHTML(text)), "")
	}

	header := "<b>" + handle + "</b> " + who(req.Contact)
	if via := via(req.Conversation); via != "" {
		header += " <i>via " + format.EscapeHTML(via) + "</i>"
	}
	if m.EditOf != "" {
		header += " <i>(edited)</i>"
	}
	if m.OutsideHours {
		header += " <i>🌙 outside business hours</i>"
	}
	if prev := previousNumber(req); prev > 0 {
		header += " <i>(follows #" + strconv.FormatInt(prev, 10) + ")</i>"
	}
	header += ":"

	var body strings.Builder
	if m.Forward != nil && m.Forward.From != "" {
		body.WriteString("<i>Forwarded from " + format.EscapeHTML(m.Forward.From) + "</i><br>")
	}
	if m.ReplyTo != nil && m.ReplyTo.Text != "" {
		body.WriteString("<i>↩ " + br(format.EscapeHTML(format.Truncate(m.ReplyTo.Text, 120))) + "</i><br>")
	}
	body.WriteString(format.ToHTML(m.Text, m.Entities))

	var tail []string
	if m.Location != nil {
		link := m.Location.MapURL
		if link == "" {
			link = format.MapLink(m.Location.Latitude, m.Location.Longitude)
		}
		tail = append(tail, `📍 <a href="`+attr(link)+`">map</a>`)
	}
	if c := m.SharedContact; c != nil && c.PhoneNumber != "" {
		tail = append(tail, "📇 "+format.EscapeHTML(strings.TrimSpace(c.FirstName+" "+c.LastName))+" "+format.EscapeHTML(c.PhoneNumber))
	}
	var alerts []hcapi.Notification
	for _, a := range m.Attachments {
		name := a.Name
		if name == "" {
			name = a.Kind
		}
		size := ""
		if a.Size > 0 {
			size = " (" + format.HumanSize(a.Size) + ")"
		}
		if a.TooLarge || a.URL == "" {
			n := base
			n.Color = "red"
			n.Message = "<b>" + handle + "</b> " + who(req.Contact) + " sent <b>" + format.EscapeHTML(name) + "</b>" + size +
				", too large for the bot to fetch: ask them to send it another way (a link, or smaller parts)."
			alerts = append(alerts, n)
			continue
		}
		tail = append(tail, `📎 <a href="`+attr(a.URL)+`">`+format.EscapeHTML(name)+"</a>"+size)
	}
	out := splitNotification(base, header+"<br>", body.String(), strings.Join(tail, "<br>"))
	return append(out, alerts...)
}

// noticeMarks lead the grey notifications of the wave-2 notices; failures
// and a changed Business connection are yellow, as they need an agent.
var noticeMarks = map[sdk.NoticeCode]struct{ emoji, color string }{
	sdk.NoticeReaction:           {"💬", ""},
	sdk.NoticeReactionFailed:     {"⚠️", "yellow"},
	sdk.NoticeMessageDeleted:     {"🗑️", ""},
	sdk.NoticeDeleteFailed:       {"⚠️", "yellow"},
	sdk.NoticeOwnerMessage:       {"🏢", ""},
	sdk.NoticeTransfer:           {"🔀", ""},
	sdk.NoticeBusinessConnection: {"🔌", "yellow"},
}

// via names where the customer wrote, for a room several bots or Business
// accounts share: the bot unless it is the host's only ("default"), and
// the Telegram Business account ("Acme Ltd (Telegram Business)").
func via(c sdk.Conversation) string {
	var parts []string
	if c.Bot != "" && c.Bot != "default" {
		parts = append(parts, c.Bot)
	}
	if b := c.Business; b != nil {
		who := b.Account.Name
		if who == "" && b.Account.Username != "" {
			who = "@" + b.Account.Username
		}
		if who == "" {
			who = "a Business account"
		}
		parts = append(parts, who+" (Telegram Business)")
	}
	return strings.Join(parts, " · ")
}

// who is the customer as shown after the handle: name and @username. The
// username is escaped HTML, so it pings nobody in the room.
func who(c sdk.Contact) string {
	s := format.EscapeHTML(c.DisplayName())
	if c.Username != "" && c.DisplayName() != "@"+c.Username {
		s += " (@" + format.EscapeHTML(c.Username) + ")"
	}
	return s
}

// splitNotification fits head+body+tail into notifications of at most
// messageLimit characters. HipChat counts characters after escaping ("&amp;"
// is five), while format.SplitHTML counts visible ones, so the split limit
// shrinks until every escaped part fits. Parts are numbered "(1/3)" after
// the head and each is valid HTML on its own.
func splitNotification(base hcapi.Notification, head, body, tail string) []hcapi.Notification {
	whole := head + body
	if tail != "" {
		if body != "" {
			whole += "<br>"
		}
		whole += tail
	}
	if utf8.RuneCountInString(whole) <= messageLimit {
		base.Message = whole
		return []hcapi.Notification{base}
	}
	// SplitHTML treats <br> as an element that would be closed and reopened
	// at cuts; as newlines it is a preferred cut point instead.
	text := strings.ReplaceAll(body, "<br>", "\n")
	room := messageLimit - utf8.RuneCountInString(head) - len(" (99/99)") - 16
	for limit := room; limit > 100; limit = limit * 9 / 10 {
		parts := format.SplitHTML(text, limit)
		if tail != "" {
			parts = append(parts, "")
		}
		out := make([]hcapi.Notification, 0, len(parts))
		fits := true
		for i, p := range parts {
			msg := strings.ReplaceAll(p, "\n", "<br>")
			if i == len(parts)-1 && tail != "" {
				msg = tail
			}
			numbered := strings.TrimSuffix(head, ":<br>")
			numbered = strings.TrimSuffix(numbered, " ")
			label := " (" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(parts)) + ")"
			if strings.HasSuffix(head, ":<br>") {
				msg = numbered + label + ":<br>" + msg
			} else {
				msg = numbered + label + " " + msg
			}
			if utf8.RuneCountInString(msg) > messageLimit {
				fits = false
				break
			}
			n := base
			n.Message = msg
			out = append(out, n)
		}
		if fits {
			return out
		}
	}
	// Unreachable for real input (escaping at most sextuples a character);
	// send the start rather than nothing.
	base.Message = format.Truncate(whole, messageLimit)
	return []hcapi.Notification{base}
}

func br(s string) string { return strings.ReplaceAll(s, "\n", "<br>") }

func attr(s string) string { return strings.ReplaceAll(format.EscapeHTML(s), `"`, "&quot;") }

// lifecycleLine is what follows the handle in the grey notification of a
// lifecycle notice ("closed by Grace Hopper", "rated 4/5"), "" for other
// notices, which show their text (an ignored command's text says why).
func lifecycleLine(n *sdk.Notice) string {
	if n == nil {
		return ""
	}
	by := func(verb string) string {
		if n.Agent != "" {
			return verb + " by " + n.Agent
		}
		return verb
	}
	switch n.Code {
	case sdk.NoticeConversationClaimed:
		return by("claimed")
	case sdk.NoticeConversationUnclaimed:
		return by("unclaimed")
	case sdk.NoticeConversationReopened:
		return by("reopened")
	case sdk.NoticeConversationClosed:
		// The reason speaks for idle and customer closes, whatever
		// name the host put in Agent.
		switch {
		case n.Reason == sdk.CloseByIdle:
			return "closed for inactivity"
		case n.Reason == sdk.CloseByCustomer:
			return "closed by the customer"
		case n.Agent != "":
			return "closed by " + n.Agent
		case n.Reason == sdk.CloseByOperator:
			return "closed by an operator"
		case n.Reason == sdk.CloseByAgent:
			return "closed by an agent"
		}
		return "closed"
	case sdk.NoticeRating:
		scale := n.Scale
		if scale <= 0 {
			scale = 5
		}
		return "rated " + strconv.Itoa(n.Score) + "/" + strconv.Itoa(scale)
	}
	return ""
}

// previousNumber is, on the first message of a conversation that follows
// a closed one, the previous conversation's handle; 0 otherwise. The
// channel's thread ref is the number itself, so the previous thread ref
// names it too.
func previousNumber(req sdk.DeliverRequest) int64 {
	if len(req.ThreadRef) > 0 {
		return 0
	}
	if n, err := strconv.ParseInt(string(req.PreviousThreadRef), 10, 64); err == nil && n > 0 {
		return n
	}
	return req.Conversation.PreviousNumber
}
