package slackfake

import (
	"context"
	"fmt"
	"regexp"
	"slices"
)

// Reaction is one emoji on a message and who added it, in order.
type Reaction struct {
	// Name is the emoji's short name without colons ("eyes",
	// "thumbsup::skin-tone-2").
	Name  string
	Users []string
}

// maxDistinctReactions is how many different emoji Slack allows on one
// message (too_many_emoji beyond).
const maxDistinctReactions = 23

// reactionName is a well-formed emoji short name: lower case, digits and
// _+-' with an optional skin tone. Slack answers invalid_name for a name
// that is no emoji; the fake cannot know every custom emoji, so it only
// refuses malformed names, including ones wrapped in colons (":eyes:").
var reactionName = regexp.MustCompile(`^[a-z0-9_+'-]+(::skin-tone-[2-6])?$`)

var tsPattern = regexp.MustCompile(`^[0-9]+\.[0-9]{6}$`)

func reactionsJSON(rs []Reaction) []obj {
	out := make([]obj, 0, len(rs))
	for _, r := range rs {
		out = append(out, obj{"name": r.Name, "users": slices.Clone(r.Users), "count": len(r.Users)})
	}
	return out
}

// react adds (or removes) user's reaction name on message ts, checking
// what reactions.add and reactions.remove check, and returns the
// reaction_added (or reaction_removed) event to send, or a Slack error
// code.
func (f *Fake) react(channel, ts, user, name string, add bool) (obj, string) {
	if channel == "" || ts == "" {
		return nil, "no_item_specified"
	}
	if !reactionName.MatchString(name) {
		return nil, "invalid_name"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.channels[channel]
	switch {
	case !ok || (c.Private && !c.BotMember):
		return nil, "channel_not_found"
	case c.Archived:
		return nil, "is_archived"
	case !tsPattern.MatchString(ts):
		return nil, "bad_timestamp"
	}
	m := c.find(ts)
	if m == nil {
		return nil, "message_not_found"
	}
	i := slices.IndexFunc(m.Reactions, func(r Reaction) bool { return r.Name == name })
	mine := i >= 0 && slices.Contains(m.Reactions[i].Users, user)
	typ := "reaction_added"
	switch {
	case add && mine:
		return nil, "already_reacted"
	case add && i < 0 && len(m.Reactions) >= maxDistinctReactions:
		return nil, "too_many_emoji"
	case add && i < 0:
		m.Reactions = append(m.Reactions, Reaction{Name: name, Users: []string{user}})
	case add:
		m.Reactions[i].Users = append(m.Reactions[i].Users, user)
	case !mine:
		return nil, "no_reaction"
	default:
		typ = "reaction_removed"
		m.Reactions[i].Users = slices.DeleteFunc(m.Reactions[i].Users, func(u string) bool { return u == user })
		if len(m.Reactions[i].Users) == 0 {
			m.Reactions = slices.Delete(m.Reactions, i, i+1)
		}
	}
	return obj{"type": typ, "user": user, "reaction": name, "item_user": m.User,
		"item": obj{"type": "message", "channel": channel, "ts": ts}, "event_ts": f.changeTS()}, ""
}

// reactionsAdd is reactions.add for the bot; Slack sends the app its own
// reaction_added too.
func (f *Fake) reactionsAdd(_ *token, args map[string]string) (any, string) {
	ev, code := f.react(args["channel"], args["timestamp"], BotUserID, args["name"], true)
	if code != "" {
		return nil, code
	}
	if f.subscribedToReactions() {
		f.emit(ev)
	}
	return obj{}, ""
}

// reactionsRemove is reactions.remove for the bot.
func (f *Fake) reactionsRemove(_ *token, args map[string]string) (any, string) {
	ev, code := f.react(args["channel"], args["timestamp"], BotUserID, args["name"], false)
	if code != "" {
		return nil, code
	}
	if f.subscribedToReactions() {
		f.emit(ev)
	}
	return obj{}, ""
}

// reactionsGet is reactions.get for a message: the message with its
// "reactions".
func (f *Fake) reactionsGet(_ *token, args map[string]string) (any, string) {
	ch, ts := args["channel"], args["timestamp"]
	if ch == "" || ts == "" {
		return nil, "no_item_specified"
	}
	f.mu.Lock()
	c, ok := f.channels[ch]
	var m *Message
	if ok && !(c.Private && !c.BotMember) {
		m = c.find(ts)
	}
	var cp Message
	if m != nil {
		cp = copyMessage(m)
	}
	f.mu.Unlock()
	switch {
	case !ok || (c.Private && !c.BotMember):
		return nil, "channel_not_found"
	case m == nil:
		return nil, "message_not_found"
	}
	msg := f.messageEvent(&cp)
	delete(msg, "channel")
	delete(msg, "event_ts")
	delete(msg, "channel_type")
	return obj{"type": "message", "channel": ch, "message": msg}, ""
}

// AgentReact adds user's reaction name (short name, no colons) to message
// ts and sends reaction_added, unless the bot lacks reactions:read: then
// the reaction is stored and the returned [Delivery] is empty (no
// EventID), as Slack sends such an app nothing. Slack's refusals
// (already_reacted, message_not_found, invalid_name, ...) come back as
// errors naming the code, and send nothing.
func (f *Fake) AgentReact(ctx context.Context, channel, ts, user, name string) (Delivery, error) {
	return f.agentReact(ctx, channel, ts, user, name, true)
}

// AgentUnreact removes user's reaction name from message ts and sends
// reaction_removed (no_reaction when there is none).
func (f *Fake) AgentUnreact(ctx context.Context, channel, ts, user, name string) (Delivery, error) {
	return f.agentReact(ctx, channel, ts, user, name, false)
}

func (f *Fake) agentReact(ctx context.Context, channel, ts, user, name string, add bool) (Delivery, error) {
	ev, code := f.react(channel, ts, user, name, add)
	if code != "" {
		return Delivery{}, fmt.Errorf("slackfake: %s", code)
	}
	if !f.subscribedToReactions() {
		return Delivery{Kind: KindEvent}, nil // stored, but the app hears nothing
	}
	return f.SendEvent(ctx, ev)
}

// subscribedToReactions reports whether the bot token holds
// reactions:read, without which Slack sends the app no reaction events.
func (f *Fake) subscribedToReactions() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.tokens[BotToken].scopes, "reactions:read")
}

// Reactions returns the reactions on message ts, nil when it has none or
// does not exist.
func (f *Fake) Reactions(channel, ts string) []Reaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.channels[channel]
	if !ok {
		return nil
	}
	m := c.find(ts)
	if m == nil {
		return nil
	}
	return copyMessage(m).Reactions
}
