package slackchannel

import (
	"context"
	"regexp"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// repliesFor turns one Events API event into the agent replies it carries:
// none for anything that is not a human message in a Parley thread of the
// configured channel. The same code serves HTTP and Socket Mode.
func (c *Channel) repliesFor(ctx context.Context, st *state, ev slackevents.EventsAPIEvent) ([]sdk.Reply, error) {
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || msg.Channel != st.channelID || msg.Message == nil {
		return nil, nil
	}
	switch msg.SubType {
	case "", slack.MsgSubTypeFileShare, slack.MsgSubTypeThreadBroadcast:
		r, ok, err := c.newReply(ctx, st, msg.Message)
		if !ok || err != nil {
			return nil, err
		}
		return []sdk.Reply{r}, nil
	case slack.MsgSubTypeMessageChanged:
		r, ok, err := c.editReply(ctx, st, msg)
		if !ok || err != nil {
			return nil, err
		}
		return []sdk.Reply{r}, nil
	}
	// bot_message, message_deleted, channel_join and other system subtypes.
	return nil, nil
}

// fromUs reports whether a message is the app's own post (its echo), or
// any bot's: only humans answer customers.
func (st *state) fromBot(m *slack.Msg) bool {
	if m.BotID != "" || m.SubType == slack.MsgSubTypeBotMessage {
		return true
	}
	if m.BotProfile != nil && (m.BotProfile.AppID == st.appID || m.BotProfile.ID != "") {
		return true
	}
	return m.User == "" || m.User == st.botUserID
}

// inParleyThread reports whether m replies in a thread the plugin created:
// a thread reply (thread_ts set and not its own ts) whose parent the bot
// posted. Without its own ts a message cannot be a reply: the host
// deduplicates replies on it and refuses an empty one.
func (st *state) inParleyThread(m *slack.Msg) bool {
	return m.Timestamp != "" && m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp && m.ParentUserId == st.botUserID
}

// internal reports whether text is an internal note for the team.
func (st *state) internal(text string) bool {
	p := st.cfg.prefix()
	return p != "" && strings.HasPrefix(strings.TrimSpace(text), p)
}

func (c *Channel) newReply(ctx context.Context, st *state, m *slack.Msg) (sdk.Reply, bool, error) {
	if st.fromBot(m) || !st.inParleyThread(m) || st.internal(m.Text) {
		return sdk.Reply{}, false, nil
	}
	author, err := st.names.name(ctx, m.User)
	if err != nil {
		return sdk.Reply{}, false, err
	}
	text, err := c.telegramText(ctx, st, m.Text)
	if err != nil {
		return sdk.Reply{}, false, err
	}
	var atts []sdk.ReplyAttachment
	for _, f := range m.Files {
		if f.IsExternal || f.Mode == "external" || f.Mode == "tombstone" {
			// Never send the bot token outside Slack: link external files.
			if u := firstNonEmpty(f.Permalink, f.URLPrivate); u != "" {
				text = joinLines(text, "📎 <a href=\""+format.EscapeHTML(u)+"\">"+format.EscapeHTML(firstNonEmpty(f.Title, f.Name))+"</a>")
			}
			continue
		}
		atts = append(atts, sdk.ReplyAttachment{Ref: f.ID, Name: firstNonEmpty(f.Name, f.Title, f.ID),
			MIMEType: f.Mimetype, Size: int64(f.Size)})
	}
	if strings.TrimSpace(text) == "" && len(atts) == 0 {
		return sdk.Reply{}, false, nil
	}
	return sdk.Reply{
		ThreadRef:   threadRef{Channel: st.channelID, TS: m.ThreadTimestamp}.encode(),
		ExternalID:  m.Timestamp,
		Author:      author,
		Text:        text,
		Format:      sdk.FormatTelegramHTML,
		Attachments: atts,
	}, true, nil
}

// editReply maps an agent's edit of a reply already sent. Slack also sends
// message_changed for unfurls and metadata, without "edited" or with the
// same text: those are not edits.
func (c *Channel) editReply(ctx context.Context, st *state, ev *slackevents.MessageEvent) (sdk.Reply, bool, error) {
	m := ev.Message
	if m.Edited == nil || (ev.PreviousMessage != nil && ev.PreviousMessage.Text == m.Text) {
		return sdk.Reply{}, false, nil
	}
	if st.fromBot(m) || !st.inParleyThread(m) || st.internal(m.Text) {
		return sdk.Reply{}, false, nil
	}
	if ev.PreviousMessage != nil && st.internal(ev.PreviousMessage.Text) {
		return sdk.Reply{}, false, nil // an internal note made public is a new reply, not an edit; keep it internal
	}
	author, err := st.names.name(ctx, m.User)
	if err != nil {
		return sdk.Reply{}, false, err
	}
	text, err := c.telegramText(ctx, st, m.Text)
	if err != nil {
		return sdk.Reply{}, false, err
	}
	return sdk.Reply{
		ThreadRef:  threadRef{Channel: st.channelID, TS: m.ThreadTimestamp}.encode(),
		ExternalID: m.Timestamp + "@edit:" + m.Edited.Timestamp,
		Author:     author,
		Text:       text,
		Format:     sdk.FormatTelegramHTML,
		EditOf:     m.Timestamp,
	}, true, nil
}

var userMention = regexp.MustCompile(`<@([UW][A-Z0-9]+)>`)

// telegramText converts Slack text for Telegram, first giving bare user
// mentions their names (Slack sends <@U123> without one).
func (c *Channel) telegramText(ctx context.Context, st *state, text string) (string, error) {
	var err error
	text = userMention.ReplaceAllStringFunc(text, func(s string) string {
		id := userMention.FindStringSubmatch(s)[1]
		name, nerr := st.names.name(ctx, id)
		if nerr != nil {
			err = nerr
			return s
		}
		return "<@" + id + "|" + strings.NewReplacer("|", "", ">", "").Replace(name) + ">"
	})
	if err != nil {
		return "", err
	}
	return format.SlackMrkdwnToTelegramHTML(text), nil
}
