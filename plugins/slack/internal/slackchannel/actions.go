package slackchannel

import (
	"context"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// outcomeFor turns one Events API event into what it carries for the
// host: agent replies from messages, lifecycle actions from reactions on
// a conversation's header. The same code serves HTTP and Socket Mode.
func (c *Channel) outcomeFor(ctx context.Context, st *state, ev slackevents.EventsAPIEvent) (outcome, error) {
	var (
		r   reactionEvent
		add bool
	)
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		r, add = reactionEvent(*e), true
	case *slackevents.ReactionRemovedEvent:
		r = reactionEvent(*e)
	case *slackevents.MessageEvent:
		if e.SubType == slack.MsgSubTypeMessageDeleted {
			a, ok, err := c.deleteAction(ctx, st, e)
			if !ok || err != nil {
				return outcome{}, err
			}
			return outcome{actions: []sdk.Action{a}}, nil
		}
		replies, err := c.repliesFor(ctx, st, ev)
		return outcome{replies: replies}, err
	default:
		replies, err := c.repliesFor(ctx, st, ev)
		return outcome{replies: replies}, err
	}
	id := ""
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		id = cb.EventID
	}
	a, ok, err := c.reactionAction(ctx, st, r, add, id)
	if !ok || err != nil {
		return outcome{}, err
	}
	return outcome{actions: []sdk.Action{a}}, nil
}

// reactionEvent is reaction_added and reaction_removed alike.
type reactionEvent slackevents.ReactionAddedEvent

// reactionAction maps a human's reaction on one of the app's posts. On a
// conversation's header: close_reaction added closes, removed reopens;
// claim_reaction added claims for that human. On the post of a customer's
// message: the bot reacts with the same emoji in Telegram (ActionReact),
// and removing it takes the bot's reaction back; an emoji Telegram does
// not allow bots is ignored. Other emoji, the app's own reactions and
// reactions on any other message are no actions, and so are other bots'
// reactions (users.info's is_bot): only humans claim and close. Skin tones do not
// matter ("eyes::skin-tone-2" claims too).
func (c *Channel) reactionAction(ctx context.Context, st *state, r reactionEvent, add bool, eventID string) (sdk.Action, bool, error) {
	name, _, _ := strings.Cut(r.Reaction, "::")
	var kind sdk.ActionKind
	switch {
	case name == st.cfg.CloseReaction && add:
		kind = sdk.ActionClose
	case name == st.cfg.CloseReaction:
		kind = sdk.ActionReopen
	case name == st.cfg.ClaimReaction && add:
		kind = sdk.ActionClaim
	}
	emoji, mappable := telegramEmoji(r.Reaction)
	it := r.Item
	if (kind == "" && !mappable) || r.User == "" || r.User == st.botUserID || it.Type != "message" ||
		it.Channel != st.channelID || it.Timestamp == "" || (r.ItemUser != "" && r.ItemUser != st.botUserID) {
		if kind == "" && !mappable && r.User != st.botUserID {
			st.log.Debug("ignoring a reaction Telegram does not allow bots", "reaction", r.Reaction)
		}
		return sdk.Action{}, false, nil
	}
	info, _, err := c.header(ctx, st, it.Channel, it.Timestamp)
	if err != nil {
		return sdk.Action{}, false, err
	}
	switch {
	case info.header && kind != "":
	case info.customer && mappable:
		kind = sdk.ActionReact
		if !add {
			emoji = "" // Telegram keeps one reaction per bot: removing one takes it back
		}
	default:
		return sdk.Action{}, false, nil
	}
	agent, bot, err := st.names.person(ctx, r.User)
	if err != nil {
		return sdk.Action{}, false, err
	}
	if bot {
		// A workflow or another app reacting is not an agent's decision.
		st.log.Debug("ignoring a reaction by a bot user", "user", r.User, "reaction", r.Reaction)
		return sdk.Action{}, false, nil
	}
	// event_id is what Slack's retries share; without one (a payload
	// relayed by hand) the event's own fields name it just as stably.
	id := eventID
	if id == "" {
		verb := "removed"
		if add {
			verb = "added"
		}
		id = strings.Join([]string{it.Channel, it.Timestamp, r.User, r.Reaction, verb, r.EventTimestamp}, ":")
	}
	if kind == sdk.ActionReact {
		return sdk.Action{Kind: kind, ThreadRef: threadRef{Channel: it.Channel, TS: info.thread}.encode(),
			ExternalID: reactionIDPrefix + id, Agent: agent, DeskMessageID: it.Timestamp, Emoji: emoji}, true, nil
	}
	return sdk.Action{Kind: kind, ThreadRef: threadRef{Channel: it.Channel, TS: it.Timestamp}.encode(),
		ExternalID: reactionIDPrefix + id, Agent: agent}, true, nil
}

// deleteAction maps an agent deleting their reply in a Parley thread to
// deleting it in Telegram. The reply's id is its Slack ts, so deleted_ts
// names it; Slack names the thread only inside previous_message. The
// app's own posts, internal notes and messages outside Parley threads are
// no actions.
func (c *Channel) deleteAction(ctx context.Context, st *state, ev *slackevents.MessageEvent) (sdk.Action, bool, error) {
	prev := ev.PreviousMessage
	if ev.Channel != st.channelID || prev == nil || ev.DeletedTimeStamp == "" {
		return sdk.Action{}, false, nil
	}
	m := *prev
	if m.Timestamp == "" {
		m.Timestamp = ev.DeletedTimeStamp
	}
	if m.Timestamp != ev.DeletedTimeStamp || st.fromBot(&m) || !st.inParleyThread(&m) || st.internal(m.Text) {
		return sdk.Action{}, false, nil
	}
	agent, err := st.names.name(ctx, m.User)
	if err != nil {
		return sdk.Action{}, false, err
	}
	// A message is deleted once: its ts names the deletion as stably as
	// the event id, across Slack's retries and a relayed payload alike.
	return sdk.Action{Kind: sdk.ActionDelete, ThreadRef: threadRef{Channel: st.channelID, TS: m.ThreadTimestamp}.encode(),
		ExternalID: deleteIDPrefix + m.Timestamp, Agent: agent, ReplyExternalID: m.Timestamp}, true, nil
}

// clickAction maps a click on one of the header's buttons (a block_actions
// payload, over HTTP or Socket Mode) to its action, for the agent who
// clicked. Anything else (other payload types, other apps' buttons,
// another channel) is no action.
func (c *Channel) clickAction(ctx context.Context, st *state, ic slack.InteractionCallback) (sdk.Action, bool, error) {
	if ic.Type != slack.InteractionTypeBlockActions {
		return sdk.Action{}, false, nil
	}
	channel := firstNonEmpty(ic.Container.ChannelID, ic.Channel.ID)
	ts := firstNonEmpty(ic.Container.MessageTs, ic.Message.Timestamp)
	if channel != st.channelID || ts == "" || ic.User.ID == "" {
		return sdk.Action{}, false, nil
	}
	var (
		kind sdk.ActionKind
		ba   *slack.BlockAction
	)
	for _, b := range ic.ActionCallback.BlockActions {
		if b == nil {
			continue
		}
		if k, ok := buttonKinds[b.ActionID]; ok {
			kind, ba = k, b
			break
		}
	}
	if ba == nil {
		return sdk.Action{}, false, nil
	}
	agent, err := st.names.name(ctx, ic.User.ID)
	if err != nil {
		return sdk.Action{}, false, err
	}
	if agent == ic.User.ID && ic.User.Name != "" {
		agent = ic.User.Name // users.info failed; the payload's handle beats an id
	}
	// Slack does not resend a click; trigger_id is unique to each one.
	id := ic.TriggerID
	if id == "" {
		id = strings.Join([]string{channel, ts, ic.User.ID, ba.ActionID, ba.ActionTs}, ":")
	}
	return sdk.Action{Kind: kind, ThreadRef: threadRef{Channel: channel, TS: ts}.encode(),
		ExternalID: buttonIDPrefix + id, Agent: agent}, true, nil
}
