package slackchannel

import (
	"context"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack"
)

// lineNotice reports whether a notice is one this desk shows as a line of
// the app's own in the thread (not as a post of the customer): reactions,
// deletions, the Business owner's messages, transfers.
func lineNotice(n *sdk.Notice) bool {
	if n == nil {
		return false
	}
	_, ok := noticeEmoji[n.Code]
	return ok
}

// noticeEmoji leads each line notice.
var noticeEmoji = map[sdk.NoticeCode]string{
	sdk.NoticeReaction:           "💬",
	sdk.NoticeReactionFailed:     "⚠️",
	sdk.NoticeMessageDeleted:     "🗑️",
	sdk.NoticeDeleteFailed:       "⚠️",
	sdk.NoticeOwnerMessage:       "🏢",
	sdk.NoticeTransfer:           "🔀",
	sdk.NoticeBusinessConnection: "🔌",
}

// deliverNotice shows a line notice. A customer's reaction on an agent's
// reply becomes the app's reaction on that reply, when Slack has the
// emoji; anything else is a short line in the thread.
func (c *Channel) deliverNotice(ctx context.Context, st *state, ref threadRef, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	n := req.Message.Notice
	fresh := ref.zero()
	if fresh {
		v := headerView{State: req.Conversation.State, Agent: req.Conversation.ClaimedBy,
			Previous: previousLine(st, req.Conversation, req.PreviousThreadRef)}
		var err error
		if ref, err = c.postHeader(ctx, st, req.Conversation, req.Contact, v); err != nil {
			return sdk.DeliverResponse{}, err
		}
	}
	if n.Code == sdk.NoticeReaction && !fresh {
		ts, done, err := c.mirrorReaction(ctx, st, ref, n)
		if err != nil {
			return sdk.DeliverResponse{}, err
		}
		if done {
			return sdk.DeliverResponse{ThreadRef: ref.encode(), DeskMessageID: ts}, nil
		}
	}
	ts, err := c.post(ctx, st, []slack.MsgOption{slack.MsgOptionTS(ref.TS),
		slack.MsgOptionText(noticeLine(n), false)}, fresh)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	return sdk.DeliverResponse{ThreadRef: ref.encode(), DeskMessageID: ts}, nil
}

// mirrorReaction sets (or, when the customer took it back, removes) the
// app's reaction on the agent's reply the customer reacted to. done is
// false when it cannot (an emoji Slack has no name for, a reaction on the
// customer's own message, Slack refusing): the caller writes a line
// instead. Rate limits and outages are returned for the host to retry.
func (c *Channel) mirrorReaction(ctx context.Context, st *state, ref threadRef, n *sdk.Notice) (string, bool, error) {
	// An edit's reply id is "<ts>@edit:<ts>": the reaction is on the post.
	ts, _, _ := strings.Cut(n.ReplyExternalID, "@")
	name, ok := slackName(n.Emoji)
	// A reply another channel sent (SourceChannel names the reply's
	// channel) has an id this workspace does not know.
	ours := n.SourceChannel == "" || n.SourceChannel == st.name
	if !ok || !ours || !slackTS.MatchString(ts) {
		return "", false, nil
	}
	op, call := "reactions.add", st.api.AddReactionContext
	if n.Removed {
		op, call = "reactions.remove", st.api.RemoveReactionContext
	}
	err := call(ctx, name, slack.NewRefToMessage(ref.Channel, ts))
	switch code := slackCode(err); {
	case err == nil, code == "already_reacted", code == "no_reaction":
		return ts, true, nil
	case code == "" || code == "ratelimited" || code == "rate_limited":
		return "", false, classify(op, err)
	default:
		// No reactions:write, the reply deleted, ...: the line says it.
		st.log.Info("cannot show the customer's reaction as a reaction; writing a line", "op", op, "reaction", name, "reason", code)
		return "", false, nil
	}
}

// noticeLine is the thread's line for a line notice: its emoji and the
// host's sentence, or a sentence of its own from a host that sent none.
func noticeLine(n *sdk.Notice) string {
	emoji := noticeEmoji[n.Code]
	if n.Code == sdk.NoticeReaction && n.Emoji != "" {
		emoji = n.Emoji
	}
	text := n.Text
	if text == "" {
		switch n.Code {
		case sdk.NoticeReaction:
			text = "The customer reacted with " + n.Emoji
			if n.Removed {
				text = "The customer took back their " + n.Emoji + " reaction"
			}
		case sdk.NoticeReactionFailed:
			text = "The reaction could not be set in Telegram"
		case sdk.NoticeMessageDeleted:
			text = "The customer deleted a message"
		case sdk.NoticeDeleteFailed:
			text = "The reply could not be deleted in Telegram"
		case sdk.NoticeOwnerMessage:
			text = firstNonEmpty(n.Agent, "The Business account's owner") + " wrote in the chat from Telegram"
		case sdk.NoticeTransfer:
			text = "The conversation moved to " + strings.Join(n.Channels, ", ")
		case sdk.NoticeBusinessConnection:
			text = "The Telegram Business connection changed"
		}
	}
	return emoji + " " + italic(escape(text))
}

// italic sets each line of s in italics: mrkdwn's _…_ does not span lines.
func italic(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = "_" + l + "_"
		}
	}
	return strings.Join(lines, "\n")
}
