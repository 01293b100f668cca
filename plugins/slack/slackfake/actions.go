package slackfake

import (
	"context"
	"fmt"
	"slices"
)

// The methods below play the humans in the workspace: each one changes
// the workspace and sends the matching event to the app, in order, and
// returns once it was delivered (see [Fake.SendEvent]).

// AgentReply posts text as user in the thread rooted at threadTS and
// returns the reply's ts.
func (f *Fake) AgentReply(ctx context.Context, channel, threadTS, user, text string) (string, Delivery, error) {
	m, err := f.store(channel, threadTS, user, text, nil)
	if err != nil {
		return "", Delivery{}, err
	}
	d, err := f.SendEvent(ctx, f.messageEvent(m))
	return m.TS, d, err
}

// ThreadBroadcast posts a thread reply also sent to the channel
// (subtype thread_broadcast) and returns its ts.
func (f *Fake) ThreadBroadcast(ctx context.Context, channel, threadTS, user, text string) (string, Delivery, error) {
	m, err := f.store(channel, threadTS, user, text, nil)
	if err != nil {
		return "", Delivery{}, err
	}
	ev := f.messageEvent(m)
	ev["subtype"] = "thread_broadcast"
	ev["root"] = obj{"type": "message", "ts": threadTS, "user": f.rootAuthor(channel, threadTS), "text": ""}
	d, err := f.SendEvent(ctx, ev)
	return m.TS, d, err
}

// TopLevelMessage posts text as user in the channel itself, outside any
// thread, and returns its ts.
func (f *Fake) TopLevelMessage(ctx context.Context, channel, user, text string) (string, Delivery, error) {
	return f.AgentReply(ctx, channel, "", user, text)
}

// AgentEdit changes the text of message ts and sends message_changed with
// "edited", as Slack does for a human edit.
func (f *Fake) AgentEdit(ctx context.Context, channel, ts, text string) (Delivery, error) {
	return f.change(ctx, channel, ts, text, true)
}

// Unfurl sends message_changed without "edited" and with the same text, as
// Slack does when it adds a link preview.
func (f *Fake) Unfurl(ctx context.Context, channel, ts string) (Delivery, error) {
	return f.change(ctx, channel, ts, "", false)
}

func (f *Fake) change(ctx context.Context, channel, ts, text string, edited bool) (Delivery, error) {
	f.mu.Lock()
	var m *Message
	if c, ok := f.channels[channel]; ok {
		m = c.find(ts)
	}
	if m == nil {
		f.mu.Unlock()
		return Delivery{}, fmt.Errorf("slackfake: no message %s in %s", ts, channel)
	}
	prev := copyMessage(m)
	if edited {
		m.Text, m.Edited = text, true
	}
	changeTS := f.changeTS()
	cur := copyMessage(m)
	f.mu.Unlock()

	editor := ""
	if edited {
		editor = cur.User
	}
	return f.SendEvent(ctx, f.changedEvent(prev, cur, editor, changeTS))
}

// changedEvent is the message_changed event from prev to cur at changeTS;
// editor is the user who edited it, "" for a change that is no edit (an
// unfurl), which Slack sends without "edited".
func (f *Fake) changedEvent(prev, cur Message, editor, changeTS string) obj {
	newMsg := f.messageEvent(&cur)
	delete(newMsg, "channel")
	if editor != "" {
		newMsg["edited"] = obj{"user": editor, "ts": changeTS}
	}
	oldMsg := f.messageEvent(&prev)
	delete(oldMsg, "channel")
	return obj{"type": "message", "subtype": "message_changed", "hidden": true,
		"channel": cur.Channel, "ts": changeTS, "event_ts": changeTS, "channel_type": "channel",
		"message": newMsg, "previous_message": oldMsg}
}

// changeTS allocates the ts of a change event, after every message ts so
// far. Callers hold f.mu.
func (f *Fake) changeTS() string {
	f.clock++
	return fmt.Sprintf("%d.%06d", f.clock, 999999)
}

// AgentUpload shares a file as user in the thread rooted at threadTS, with
// optional text (subtype file_share), and returns the message ts and the
// file id.
func (f *Fake) AgentUpload(ctx context.Context, channel, threadTS, user, name, mimeType string, content []byte, text string) (string, string, Delivery, error) {
	f.mu.Lock()
	f.fileSeq++
	id := fileID(f.fileSeq)
	f.files[id] = &File{ID: id, Name: name, Title: name, MIMEType: mimeType, Content: slices.Clone(content),
		User: user, Channel: channel, ThreadTS: threadTS, Complete: true}
	f.uploadLen[id] = len(content)
	f.mu.Unlock()
	m, err := f.store(channel, threadTS, user, text, []string{id})
	if err != nil {
		return "", "", Delivery{}, err
	}
	ev := f.messageEvent(m)
	ev["subtype"] = "file_share"
	ev["files"] = f.fileObjects([]string{id})
	ev["upload"] = false
	d, err := f.SendEvent(ctx, ev)
	return m.TS, id, d, err
}

// store saves a human message. threadTS "" posts at the top level.
func (f *Fake) store(channel, threadTS, user, text string, files []string) (*Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.channels[channel]
	if !ok {
		return nil, fmt.Errorf("slackfake: no channel %s", channel)
	}
	if threadTS != "" && !c.hasRoot(threadTS) {
		return nil, fmt.Errorf("slackfake: no thread %s in %s", threadTS, channel)
	}
	m := &Message{Channel: channel, TS: f.nextTS(c), ThreadTS: threadTS, User: user, Text: text, Files: files}
	c.messages = append(c.messages, m)
	cp := copyMessage(m)
	return &cp, nil
}
