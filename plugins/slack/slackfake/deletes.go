package slackfake

import (
	"context"
	"fmt"
	"slices"
)

// remove takes message ts out of the channel, as Slack does on a delete
// (history no longer returns it), and returns the message_deleted event.
// bot is true for chat.delete with the bot token, which may delete only
// the app's own messages. Slack turns a deleted root that has replies into
// a tombstone; the fake removes the root and keeps the replies.
func (f *Fake) remove(channel, ts string, bot bool) (obj, string) {
	f.mu.Lock()
	c, ok := f.channels[channel]
	var m *Message
	if ok {
		m = c.find(ts)
	}
	switch {
	case !ok || (c.Private && !c.BotMember):
		f.mu.Unlock()
		return nil, "channel_not_found"
	case m == nil:
		f.mu.Unlock()
		return nil, "message_not_found"
	case bot && m.User != BotUserID:
		f.mu.Unlock()
		return nil, "cant_delete_message"
	}
	c.messages = slices.DeleteFunc(c.messages, func(x *Message) bool { return x == m })
	c.deleted = append(c.deleted, m)
	prev := copyMessage(m)
	changeTS := f.changeTS()
	f.mu.Unlock()

	old := f.messageEvent(&prev)
	delete(old, "channel")
	delete(old, "event_ts")
	delete(old, "channel_type")
	// The thread is named only inside previous_message (thread_ts), not at
	// the top level of the event.
	return obj{"type": "message", "subtype": "message_deleted", "hidden": true, "channel": channel,
		"ts": changeTS, "event_ts": changeTS, "deleted_ts": prev.TS, "channel_type": "channel",
		"previous_message": old}, ""
}

// chatDelete is chat.delete: a bot token deletes the app's own messages
// only (cant_delete_message otherwise), and Slack sends message_deleted.
func (f *Fake) chatDelete(_ *token, args map[string]string) (any, string) {
	if args["ts"] == "" {
		return nil, "message_not_found"
	}
	ev, code := f.remove(args["channel"], args["ts"], true)
	if code != "" {
		return nil, code
	}
	f.emit(ev)
	return obj{"channel": args["channel"], "ts": args["ts"]}, ""
}

// AgentDelete deletes message ts as a human would (from the message's
// menu) and sends message_deleted with deleted_ts, previous_message and
// hidden:true.
func (f *Fake) AgentDelete(ctx context.Context, channel, ts string) (Delivery, error) {
	ev, code := f.remove(channel, ts, false)
	if code != "" {
		return Delivery{}, fmt.Errorf("slackfake: %s", code)
	}
	return f.SendEvent(ctx, ev)
}

// Deleted returns the messages deleted from a channel, in the order they
// were deleted.
func (f *Fake) Deleted(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.channels[channel]
	if !ok {
		return nil
	}
	out := make([]Message, 0, len(c.deleted))
	for _, m := range c.deleted {
		out = append(out, copyMessage(m))
	}
	return out
}
