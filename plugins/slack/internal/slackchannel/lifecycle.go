package slackchannel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack"
)

// Block and action ids of the header. The ids are how a click names what
// it wants and how a header read back is understood, so they never change.
const (
	previousBlockID = "parley_previous"
	statusBlockID   = "parley_status"
	actionsBlockID  = "parley_actions"

	actionClaim   = "parley_claim"
	actionUnclaim = "parley_unclaim"
	actionClose   = "parley_close"
	actionReopen  = "parley_reopen"
)

// buttonKinds maps the header's buttons to the actions they report.
var buttonKinds = map[string]sdk.ActionKind{
	actionClaim: sdk.ActionClaim, actionUnclaim: sdk.ActionUnclaim,
	actionClose: sdk.ActionClose, actionReopen: sdk.ActionReopen,
}

// Prefixes of the ExternalIDs of the actions this desk reports: a notice
// whose ActionExternalID carries one (and names this channel) is the echo
// of this desk's own action.
const (
	reactionIDPrefix = "reaction:"
	buttonIDPrefix   = "button:"
	deleteIDPrefix   = "delete:"
)

// headerView is what the header shows besides the customer: the state,
// who changed it and how, and the link to the previous conversation.
type headerView struct {
	State  sdk.ConversationState
	Agent  string
	Reason string
	// Reopened is true when the state is open because a closed
	// conversation was reopened.
	Reopened bool
	// Previous is the mrkdwn line linking the previous conversation's
	// thread, empty when there is none.
	Previous string
}

// status is the header's one-line state, e.g. "👀 Claimed by Grace Hopper".
func (v headerView) status() string {
	agent := escape(firstNonEmpty(v.Agent, "an agent"))
	switch v.State {
	case sdk.StateClaimed:
		return "👀 Claimed by " + agent
	case sdk.StateClosed:
		switch v.Reason {
		case sdk.CloseByIdle:
			return "✅ Closed after inactivity"
		case sdk.CloseByCustomer:
			return "✅ Closed by the customer"
		case sdk.CloseByOperator:
			if v.Agent == "" {
				return "✅ Closed by an operator"
			}
		}
		return "✅ Closed by " + agent
	}
	if v.Reopened {
		return "🟢 Open · reopened by " + agent
	}
	return "🟢 Open"
}

// buttons are the header's buttons for the state: claim or unclaim and
// close while it is open, reopen once it is closed.
func (v headerView) buttons() []slack.BlockElement {
	button := func(id, label string, style slack.Style) slack.BlockElement {
		b := slack.NewButtonBlockElement(id, string(buttonKinds[id]),
			slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
		if style != "" {
			b.WithStyle(style)
		}
		return b
	}
	switch v.State {
	case sdk.StateClaimed:
		return []slack.BlockElement{button(actionUnclaim, "Unclaim", ""), button(actionClose, "Close", slack.StylePrimary)}
	case sdk.StateClosed:
		return []slack.BlockElement{button(actionReopen, "Reopen", "")}
	}
	return []slack.BlockElement{button(actionClaim, "Claim", slack.StylePrimary), button(actionClose, "Close", "")}
}

// previousLine links the thread of the conversation this one follows,
// from its thread ref: Slack's permalink form
// https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>,
// built from the workspace URL auth.test gave instead of asking
// chat.getPermalink once per conversation.
func previousLine(st *state, conv sdk.Conversation, prevRef []byte) string {
	label := "the previous conversation"
	if conv.PreviousNumber > 0 {
		label = "conversation #" + strconv.FormatInt(conv.PreviousNumber, 10)
	}
	ref, err := parseThreadRef(prevRef)
	if err != nil || ref.zero() {
		if conv.PreviousNumber > 0 {
			return "↩️ Follows " + label
		}
		return ""
	}
	if st.teamURL == "" {
		return "↩️ Follows " + label
	}
	u := strings.TrimSuffix(st.teamURL, "/") + "/archives/" + ref.Channel + "/p" + strings.Replace(ref.TS, ".", "", 1)
	return "↩️ Follows " + link(u, label)
}

// reactionHint tells agents which reactions work, when they do.
func (st *state) reactionHint() string {
	if !st.reactions {
		return ""
	}
	return fmt.Sprintf("React with :%s: to claim, :%s: to close.", st.cfg.ClaimReaction, st.cfg.CloseReaction)
}

// lifecycleNotice reports whether a notice is about the conversation's
// lifecycle, which this desk shows in its own way.
func lifecycleNotice(n *sdk.Notice) bool {
	return n != nil && n.Code.Lifecycle()
}

// changesState reports whether a notice changes what the header shows.
func changesState(code sdk.NoticeCode) bool {
	switch code {
	case sdk.NoticeConversationClaimed, sdk.NoticeConversationUnclaimed, sdk.NoticeConversationClosed,
		sdk.NoticeConversationReopened:
		return true
	}
	return false
}

// viewOf is the header a state-changing notice leads to.
func viewOf(n *sdk.Notice) headerView {
	v := headerView{State: n.State, Agent: n.Agent, Reason: n.Reason}
	if v.State == "" {
		// A notice without its state: the code says it.
		switch n.Code {
		case sdk.NoticeConversationClaimed:
			v.State = sdk.StateClaimed
		case sdk.NoticeConversationClosed:
			v.State = sdk.StateClosed
		default:
			v.State = sdk.StateOpen
		}
	}
	v.Reopened = n.Code == sdk.NoticeConversationReopened && v.State == sdk.StateOpen
	return v
}

// ownEcho reports whether the notice answers an action this desk
// reported: its header changes, but the reactions are the agent's own.
func (st *state) ownEcho(n *sdk.Notice) bool {
	return st.name != "" && n.SourceChannel == st.name &&
		(strings.HasPrefix(n.ActionExternalID, reactionIDPrefix) || strings.HasPrefix(n.ActionExternalID, buttonIDPrefix))
}

// deliverLifecycle shows a lifecycle notice: a state change updates the
// header (chat.update) and, when it was made anywhere but here, the
// header's reactions; every notice then leaves a short line in the
// thread. The steps before the line are idempotent, so the host's retry
// after a failure repeats nothing the agent sees twice.
func (c *Channel) deliverLifecycle(ctx context.Context, st *state, ref threadRef, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	n := req.Message.Notice
	if changesState(n.Code) {
		v := viewOf(n)
		if ref.zero() {
			// The conversation reaches Slack with this notice: its header
			// shows the state at once.
			v.Previous = previousLine(st, req.Conversation, req.PreviousThreadRef)
			var err error
			if ref, err = c.postHeader(ctx, st, req.Conversation, req.Contact, v); err != nil {
				return sdk.DeliverResponse{}, err
			}
		} else if err := c.updateHeader(ctx, st, ref, req, v); err != nil {
			return sdk.DeliverResponse{}, err
		}
		if !st.ownEcho(n) {
			if err := c.syncReactions(ctx, st, ref, n.Code); err != nil {
				return sdk.DeliverResponse{}, err
			}
		}
	} else if ref.zero() {
		var err error
		v := headerView{State: req.Conversation.State, Agent: req.Conversation.ClaimedBy,
			Previous: previousLine(st, req.Conversation, req.PreviousThreadRef)}
		if ref, err = c.postHeader(ctx, st, req.Conversation, req.Contact, v); err != nil {
			return sdk.DeliverResponse{}, err
		}
	}
	ts, err := c.post(ctx, st, []slack.MsgOption{slack.MsgOptionTS(ref.TS),
		slack.MsgOptionText(lifecycleLine(n), false)}, false)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	return sdk.DeliverResponse{ThreadRef: ref.encode(), DeskMessageID: ts}, nil
}

// lifecycleLine is the thread's record of a lifecycle notice.
func lifecycleLine(n *sdk.Notice) string {
	if n.Code == sdk.NoticeRating {
		scale := n.Scale
		if scale <= 0 {
			scale = 5
		}
		return fmt.Sprintf("⭐ _Rated %d/%d by the customer_", n.Score, scale)
	}
	emoji := map[sdk.NoticeCode]string{
		sdk.NoticeConversationClaimed:   "👀",
		sdk.NoticeConversationUnclaimed: "↩️",
		sdk.NoticeConversationClosed:    "✅",
		sdk.NoticeConversationReopened:  "🟢",
		sdk.NoticeActionIgnored:         "ℹ️",
	}[n.Code]
	text := n.Text
	if text == "" {
		text = viewOf(n).status()
		if n.Code == sdk.NoticeActionIgnored {
			text = "That changed nothing."
		}
		return emoji + " _" + text + "_"
	}
	return emoji + " _" + escape(text) + "_"
}

// postHeader posts a conversation's thread parent.
func (c *Channel) postHeader(ctx context.Context, st *state, conv sdk.Conversation, ct sdk.Contact, v headerView) (threadRef, error) {
	text, blocks := headerMessage(conv, ct, v, st.reactionHint())
	_, ts, err := st.api.PostMessageContext(ctx, st.channelID,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionDisableLinkUnfurl())
	if err != nil {
		return threadRef{}, classify("chat.postMessage (thread parent)", err)
	}
	st.headers.put(st.channelID+":"+ts, headerInfo{header: true, previous: v.Previous})
	return threadRef{Channel: st.channelID, TS: ts}, nil
}

// updateHeader rewrites the header for a new state. A header Slack will
// not let the app edit (deleted, archived channel) is left as it is.
func (c *Channel) updateHeader(ctx context.Context, st *state, ref threadRef, req sdk.DeliverRequest, v headerView) error {
	info, known, err := c.header(ctx, st, ref.Channel, ref.TS)
	if err != nil {
		return err // a rate limit or outage: the host retries the notice
	}
	if !known {
		// Only the link to the previous thread is lost; the state matters more.
		st.log.Warn("updating the header without its link to the previous thread", "ts", ref.TS)
	}
	v.Previous = info.previous
	text, blocks := headerMessage(req.Conversation, req.Contact, v, st.reactionHint())
	_, _, _, err = st.api.UpdateMessageContext(ctx, ref.Channel, ref.TS,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionParse(false))
	if err == nil {
		return nil
	}
	if code := slackCode(err); uneditable[code] || code == "channel_not_found" {
		st.log.Warn("cannot update the conversation's header; its thread still gets the line", "ts", ref.TS, "reason", code)
		return nil
	}
	return classify("chat.update (header)", err)
}

// syncReactions mirrors a change made elsewhere in the header's reactions,
// as an agent here would have made it: a claim adds claim_reaction, a
// close adds close_reaction, an unclaim or reopen takes the app's own back.
func (c *Channel) syncReactions(ctx context.Context, st *state, ref threadRef, code sdk.NoticeCode) error {
	if !st.reactions {
		return nil // logged at Configure
	}
	type change struct {
		name string
		add  bool
	}
	var changes []change
	switch code {
	case sdk.NoticeConversationClaimed:
		changes = []change{{st.cfg.ClaimReaction, true}}
	case sdk.NoticeConversationUnclaimed:
		changes = []change{{st.cfg.ClaimReaction, false}}
	case sdk.NoticeConversationClosed:
		changes = []change{{st.cfg.CloseReaction, true}}
	case sdk.NoticeConversationReopened:
		changes = []change{{st.cfg.CloseReaction, false}, {st.cfg.ClaimReaction, false}}
	}
	item := slack.NewRefToMessage(ref.Channel, ref.TS)
	for _, ch := range changes {
		op, call := "reactions.add", st.api.AddReactionContext
		if !ch.add {
			op, call = "reactions.remove", st.api.RemoveReactionContext
		}
		err := call(ctx, ch.name, item)
		switch code := slackCode(err); {
		case err == nil, code == "already_reacted", code == "no_reaction":
		case code != "" && code != "ratelimited" && code != "rate_limited":
			// The header already says it; a reaction Slack refuses (no
			// reactions:write, message gone) is not worth a retry.
			st.log.Warn("could not mirror the change in the header's reactions", "op", op, "reaction", ch.name, "reason", code)
		default:
			return classify(op, err)
		}
	}
	return nil
}

// headerInfo is what the plugin knows about a message in its channel.
type headerInfo struct {
	// header is true when the message is a conversation's header: a
	// top-level message of the app (it posts nothing else outside threads).
	header bool
	// previous is the header's link to the previous conversation.
	previous string
	// customer is true when the message is the app's post of a customer's
	// message, in the thread whose parent is thread: an agent's reaction
	// on it becomes the bot's reaction in Telegram.
	customer bool
	thread   string
}

// header tells whether ts is a conversation's header, from memory or by
// reading the message back (reactions.get returns it, blocks included,
// with reactions:read, which reaction events need anyway; history calls
// are rate-limited far harder). A message Slack cannot find is no header.
// known is false when Slack would not say; err is set only for what a
// retry may fix (rate limits, outages).
func (c *Channel) header(ctx context.Context, st *state, channel, ts string) (headerInfo, bool, error) {
	key := channel + ":" + ts
	if info, ok := st.headers.get(key); ok {
		return info, true, nil
	}
	item, err := st.api.GetReactionsContext(ctx, slack.NewRefToMessage(channel, ts), slack.GetReactionsParameters{})
	if err != nil {
		switch code := slackCode(err); code {
		case "message_not_found", "channel_not_found":
			st.headers.put(key, headerInfo{})
			return headerInfo{}, true, nil
		case "", "ratelimited", "rate_limited":
			// A rate limit or an outage: worth the caller's retry.
			return headerInfo{}, false, classify("reactions.get", err)
		default:
			// Slack will not tell (no reactions:read, ...); asking again
			// would not help.
			st.log.Warn("cannot read a message back to tell whether it is a header", "ts", ts, "reason", code)
			return headerInfo{}, false, nil
		}
	}
	m := item.Message
	if m == nil {
		return headerInfo{}, true, nil
	}
	ours := m.User == st.botUserID || (st.botID != "" && m.BotID == st.botID)
	inThread := m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp
	info := headerInfo{header: ours && !inThread}
	if ours && inThread && customerPost(&m.Msg) {
		info.customer, info.thread = true, m.ThreadTimestamp
	}
	for _, b := range m.Blocks.BlockSet {
		if cb, ok := b.(*slack.ContextBlock); ok && cb.BlockID == previousBlockID {
			for _, el := range cb.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					info.previous = t.Text
				}
			}
		}
	}
	st.headers.put(key, info)
	return info, true, nil
}

// customerPost tells the app's posts of customer messages from its own
// lines (notices, lifecycle) when a message is read back: the former carry
// the customer's name as the poster (chat:write.customize) or lead with it
// in bold ("*Ivan*: "); the app's own lines start with an emoji, and host
// notices shown under the customer's name with the warning mark.
func customerPost(m *slack.Msg) bool {
	text := m.Text
	if m.Username == "" {
		name, rest, ok := strings.Cut(text, "*: ")
		if !ok || !strings.HasPrefix(name, "*") || strings.Contains(name, "\n") {
			return false
		}
		text = rest
	}
	return !strings.HasPrefix(text, noticeMark)
}

// headerCache remembers which messages are headers and their links to
// previous conversations, bounded: after a restart or eviction the
// plugin reads the message back once.
type headerCache struct {
	max   int
	mu    sync.Mutex
	items map[string]headerInfo
	order []string
}

func newHeaderCache(max int) *headerCache {
	return &headerCache{max: max, items: map[string]headerInfo{}}
}

func (h *headerCache) get(key string) (headerInfo, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	info, ok := h.items[key]
	return info, ok
}

func (h *headerCache) put(key string, info headerInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.items[key]; !ok {
		h.order = append(h.order, key)
	}
	h.items[key] = info
	for len(h.order) > h.max {
		delete(h.items, h.order[0])
		h.order = h.order[1:]
	}
}
