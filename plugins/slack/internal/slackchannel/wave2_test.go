package slackchannel_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestDescribeAnnouncesReactions(t *testing.T) {
	e := newEnv(t, nil)
	d, err := e.ch.Describe(ctx(t))
	if err != nil || !d.Capabilities.Reactions {
		t.Fatalf("Describe = %+v, %v; want the reactions capability", d.Capabilities, err)
	}
}

// The header names the bot the customer wrote to and the Telegram
// Business account, and says nothing of either on a one-bot host.
func TestHeaderShowsBotAndBusiness(t *testing.T) {
	e := newEnv(t, nil)
	req := plugintest.SampleDeliver(text("hello"), nil)
	req.Conversation.Bot = "shop"
	req.Conversation.Business = &sdk.Business{ConnectionID: "bc-1", Account: sdk.BusinessAccount{ID: 77, Username: "acme", Name: "Acme & Sons"}}
	resp, err := e.ch.Deliver(ctx(t), req)
	plugintest.AssertDelivered(t, resp, err)
	h := readHeader(t, e.fake, parentTS(t, resp.ThreadRef))
	if !strings.Contains(h.texts, "*Via*\nbot shop · Acme &amp; Sons (@acme, Telegram Business)") {
		t.Errorf("header texts %q; want the bot and the Business account", h.texts)
	}

	plain := plugintest.SampleDeliver(text("hi"), nil)
	plain.Conversation.ID, plain.Conversation.Bot = "conv-2", "default"
	resp, err = e.ch.Deliver(ctx(t), plain)
	plugintest.AssertDelivered(t, resp, err)
	if h := readHeader(t, e.fake, parentTS(t, resp.ThreadRef)); strings.Contains(h.texts, "Via") {
		t.Errorf("one-bot header %q names a bot", h.texts)
	}
}

// A message written outside business hours carries a mark; others none.
func TestOutsideHoursMessagesAreMarked(t *testing.T) {
	e := newEnv(t, nil)
	m := text("are you open?")
	m.OutsideHours = true
	root := parentTS(t, e.deliver(m, nil).ThreadRef)
	if got := lastInThread(t, e.fake, root).Text; got != "🌙 _outside business hours_\nare you open?" {
		t.Errorf("post %q; want the outside-hours mark above the text", got)
	}
}

// agentReply posts an agent's answer in the thread and waits until the
// host has it, returning its ts (the reply's ExternalID).
func agentReply(t *testing.T, e *env, root, body string) string {
	t.Helper()
	ts, d, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, body)
	if err != nil || !d.OK() {
		t.Fatalf("agent reply: %v", err)
	}
	return ts
}

func reaction(n sdk.Notice) sdk.Message {
	n.Code = sdk.NoticeReaction
	return sdk.Message{ID: "n-" + n.Emoji + n.ReplyExternalID + n.MessageID + map[bool]string{true: "-", false: "+"}[n.Removed],
		Kind: sdk.KindNotice, Text: n.Text, Time: time.Now(), Notice: &n}
}

// A customer's reaction on an agent's reply shows as the app's reaction on
// that reply, and goes when the customer takes it back; an emoji Slack
// has no name for, and a reaction on the customer's own message, are lines.
func TestCustomerReactionsShowOnTheAgentsReply(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("where is my order?"), nil).ThreadRef
	root := parentTS(t, ref)
	reply := agentReply(t, e, root, "It ships today.")
	before := len(e.fake.Thread(slackfake.ChannelID, root))

	e.deliver(reaction(sdk.Notice{Text: "The customer reacted 👍 to your reply.", Emoji: "👍", ReplyExternalID: reply, SourceChannel: "slack"}), ref)
	e.deliver(reaction(sdk.Notice{Text: "The customer reacted ❤️ to your reply.", Emoji: "❤️", ReplyExternalID: reply}), ref)
	rs := e.fake.Reactions(slackfake.ChannelID, reply)
	if len(rs) != 2 || rs[0].Name != "+1" || rs[1].Name != "heart" || !slices.Equal(rs[0].Users, []string{slackfake.BotUserID}) {
		t.Fatalf("reactions on the reply %+v; want +1 and heart by the app", rs)
	}
	e.deliver(reaction(sdk.Notice{Text: "The customer took back 👍.", Emoji: "👍", Removed: true, ReplyExternalID: reply}), ref)
	// Delivered again (the host's retry): no error, nothing changes.
	e.deliver(reaction(sdk.Notice{Text: "The customer took back 👍.", Emoji: "👍", Removed: true, ReplyExternalID: reply}), ref)
	if rs := e.fake.Reactions(slackfake.ChannelID, reply); len(rs) != 1 || rs[0].Name != "heart" {
		t.Errorf("reactions after the removal %+v; want only heart", rs)
	}
	if n := len(e.fake.Thread(slackfake.ChannelID, root)); n != before {
		t.Errorf("the thread grew from %d to %d posts; reactions shown as reactions need no line", before, n)
	}

	e.deliver(reaction(sdk.Notice{Text: "The customer reacted 🫠 to your reply.", Emoji: "🫠", ReplyExternalID: reply}), ref)
	if got := lastInThread(t, e.fake, root).Text; got != "🫠 _The customer reacted 🫠 to your reply._" {
		t.Errorf("unmappable reaction line %q", got)
	}
	// On a reply another channel sent, the id is not this workspace's.
	e.deliver(reaction(sdk.Notice{Text: "The customer reacted 👏 to an agent's reply.", Emoji: "👏", ReplyExternalID: reply, SourceChannel: "slack-de"}), ref)
	if got := lastInThread(t, e.fake, root).Text; got != "👏 _The customer reacted 👏 to an agent's reply._" ||
		len(e.fake.Reactions(slackfake.ChannelID, reply)) != 1 {
		t.Errorf("reaction on another channel's reply: line %q, reactions %+v; want a line and no reaction", got, e.fake.Reactions(slackfake.ChannelID, reply))
	}
	e.deliver(reaction(sdk.Notice{Text: "The customer reacted 🔥 to their message “where is my order?”.", Emoji: "🔥", MessageID: "m-1"}), ref)
	if got := lastInThread(t, e.fake, root).Text; got != "🔥 _The customer reacted 🔥 to their message “where is my order?”._" {
		t.Errorf("reaction on the customer's own message: line %q", got)
	}
}

// When Slack refuses the reaction (the reply was deleted), the reaction
// is still shown, as a line.
func TestCustomerReactionOnAGoneReplyIsALine(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("hi"), nil).ThreadRef
	root := parentTS(t, ref)
	e.deliver(reaction(sdk.Notice{Text: "The customer reacted 👍 to your reply.", Emoji: "👍", ReplyExternalID: "1600000000.000100"}), ref)
	if got := lastInThread(t, e.fake, root).Text; got != "👍 _The customer reacted 👍 to your reply._" {
		t.Errorf("line %q", got)
	}
}

// An agent's reaction on a customer's message becomes the bot's reaction
// in Telegram; taking it back removes it. Emoji Telegram does not allow,
// reactions on the app's own lines and the app's own reactions are no
// actions.
func TestAgentReactionsOnCustomerMessagesReact(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(grace)
	first := e.deliver(text("where is my order?"), nil)
	ref := first.ThreadRef
	post := first.DeskMessageID
	note := e.deliver(lifecycle(sdk.NoticeUserBlocked, sdk.Notice{Text: "The user blocked the bot."}), ref).DeskMessageID
	line := e.deliver(lifecycle(sdk.NoticeTransfer, sdk.Notice{Text: "Moved to helpscout.", Channels: []string{"helpscout"}}), ref).DeskMessageID

	react := func(ts, name string, add bool) {
		t.Helper()
		do := e.fake.AgentReact
		if !add {
			do = e.fake.AgentUnreact
		}
		if d, err := do(ctx(t), slackfake.ChannelID, ts, grace.ID, name); err != nil || !d.OK() {
			t.Fatalf("react %s on %s: %v", name, ts, err)
		}
	}
	react(post, "white_check_mark", true) // not a Telegram reaction
	react(line, "+1", true)               // the app's own line
	react(note, "+1", true)               // a notice, not a customer's message
	react(post, "+1::skin-tone-4", true)
	react(post, "+1::skin-tone-4", false)

	got := e.host.Actions()
	if len(got) != 2 {
		t.Fatalf("actions %+v; want a react and its removal", got)
	}
	for i, want := range []string{"👍", ""} {
		a := got[i]
		if a.Kind != sdk.ActionReact || a.DeskMessageID != post || a.Emoji != want || a.Agent != "Grace Hopper" ||
			string(a.ThreadRef) != string(ref) || !strings.HasPrefix(a.ExternalID, "reaction:") {
			t.Errorf("action %d = %+v; want react %q on %s by Grace Hopper", i, a, want, post)
		}
	}
	if got[0].ExternalID == got[1].ExternalID {
		t.Errorf("adding and removing share the id %s", got[0].ExternalID)
	}
}

// After a restart the plugin no longer remembers which posts are
// customers' messages: it reads the post back and reacts all the same,
// with and without chat:write.customize.
func TestAgentReactionAfterARestartReadsThePostBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scopes []string
	}{
		{"customize", slackfake.BotScopes},
		{"name in the text", slices.DeleteFunc(slices.Clone(slackfake.BotScopes), func(s string) bool { return s == "chat:write.customize" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, slackfake.WithBotScopes(tc.scopes...))
			e.fake.AddUser(grace)
			first := e.deliver(text("hello"), nil)
			line := e.deliver(lifecycle(sdk.NoticeMessageDeleted, sdk.Notice{Text: "The customer deleted a message.", MessageID: "m-0"}), first.ThreadRef).DeskMessageID
			note := e.deliver(lifecycle(sdk.NoticeUserBlocked, sdk.Notice{Text: "The user blocked the bot."}), first.ThreadRef).DeskMessageID
			plugintest.AssertConfigured(t, e.configure(baseConfig(e.fake))) // a fresh state: nothing remembered
			for _, ts := range []string{line, note, first.DeskMessageID} {
				if d, err := e.fake.AgentReact(ctx(t), slackfake.ChannelID, ts, grace.ID, "fire"); err != nil || !d.OK() {
					t.Fatal(err)
				}
			}
			got := e.host.Actions()
			if len(got) != 1 || got[0].Kind != sdk.ActionReact || got[0].DeskMessageID != first.DeskMessageID || got[0].Emoji != "🔥" ||
				string(got[0].ThreadRef) != string(first.ThreadRef) {
				t.Errorf("actions %+v; want one 🔥 on the customer's post", got)
			}
		})
	}
}

// An agent deleting their reply in the thread deletes it in Telegram;
// deleting anything else (a customer's post, an internal note, a message
// outside Parley threads) is no action.
func TestAgentDeletingTheirReplyDeletesIt(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(grace)
	first := e.deliver(text("hello"), nil)
	root := parentTS(t, first.ThreadRef)
	reply := agentReply(t, e, root, "Hi! How can I help?")
	note := agentReply(t, e, root, "// internal: VIP customer")
	top, _, err := e.fake.TopLevelMessage(ctx(t), slackfake.ChannelID, slackfake.AgentUserID, "lunch?")
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range []string{note, top, first.DeskMessageID, reply} {
		if d, err := e.fake.AgentDelete(ctx(t), slackfake.ChannelID, ts); err != nil || !d.OK() {
			t.Fatalf("delete %s: %v", ts, err)
		}
	}
	got := e.host.Actions()
	if len(got) != 1 {
		t.Fatalf("actions %+v; want one delete", got)
	}
	if a := got[0]; a.Kind != sdk.ActionDelete || a.ReplyExternalID != reply || string(a.ThreadRef) != string(first.ThreadRef) ||
		a.ExternalID != "delete:"+reply {
		t.Errorf("action %+v; want the delete of reply %s", a, reply)
	}
}

// The notices about deletions, the Business owner, transfers and failures
// are lines of the app in the thread, not posts under the customer's name.
func TestWave2NoticesAreThreadLines(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)
	for _, tc := range []struct {
		notice sdk.Notice
		want   string
	}{
		{sdk.Notice{Code: sdk.NoticeMessageDeleted, Text: "The customer deleted “hello”.", MessageID: "m-hello"}, "🗑️ _The customer deleted “hello”._"},
		{sdk.Notice{Code: sdk.NoticeOwnerMessage, Text: "Acme Ltd wrote from Telegram:\n> on my way", Agent: "Acme Ltd"}, "🏢 _Acme Ltd wrote from Telegram:_\n_&gt; on my way_"},
		{sdk.Notice{Code: sdk.NoticeTransfer, Channels: []string{"helpscout", "slack-de"}}, "🔀 _The conversation moved to helpscout, slack-de_"},
		{sdk.Notice{Code: sdk.NoticeReactionFailed, Text: "Telegram refused the reaction <🦄>."}, "⚠️ _Telegram refused the reaction &lt;🦄&gt;._"},
		{sdk.Notice{Code: sdk.NoticeDeleteFailed, Text: "The reply is older than 48 hours.", ReplyExternalID: "1.2"}, "⚠️ _The reply is older than 48 hours._"},
		{sdk.Notice{Code: sdk.NoticeBusinessConnection, Text: "The Business connection was disabled."}, "🔌 _The Business connection was disabled._"},
	} {
		t.Run(string(tc.notice.Code), func(t *testing.T) {
			e.deliver(lifecycle(tc.notice.Code, tc.notice), ref)
			last := lastInThread(t, e.fake, root)
			if last.Text != tc.want || last.Username != "" {
				t.Errorf("line %q as %q; want %q from the app", last.Text, last.Username, tc.want)
			}
		})
	}
}

// A conversation whose first delivery is a line notice gets its header
// first, as with any message.
func TestLineNoticeOnANewConversationPostsTheHeader(t *testing.T) {
	e := newEnv(t, nil)
	resp := e.deliver(lifecycle(sdk.NoticeOwnerMessage, sdk.Notice{Text: "Acme Ltd wrote: hello", Agent: "Acme Ltd"}), nil)
	root := parentTS(t, resp.ThreadRef)
	if h := readHeader(t, e.fake, root); !strings.Contains(h.texts, "🟢 Open") {
		t.Errorf("header %q", h.texts)
	}
	if got := lastInThread(t, e.fake, root).Text; got != "🏢 _Acme Ltd wrote: hello_" {
		t.Errorf("line %q", got)
	}
}

// Over Socket Mode an agent's reaction on a customer's message and the
// deletion of their reply reach the host as actions too.
func TestSocketModeReactAndDelete(t *testing.T) {
	e := newEnv(t, func(c map[string]any) {
		delete(c, "signing_secret")
		c["app_token"] = slackfake.AppToken
	})
	e.fake.AddUser(grace)
	if !e.fake.WaitFor(wait, func() bool { _, open := e.fake.SocketConnections(); return open == 1 }) {
		t.Fatal("the plugin did not open a Socket Mode connection")
	}
	first := e.deliver(text("hello"), nil)
	root := parentTS(t, first.ThreadRef)
	if _, err := e.fake.AgentReact(ctx(t), slackfake.ChannelID, first.DeskMessageID, grace.ID, "pray"); err != nil {
		t.Fatal(err)
	}
	ts, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, grace.ID, "done")
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertReplies(t, e.host, 1, wait)
	if _, err := e.fake.AgentDelete(ctx(t), slackfake.ChannelID, ts); err != nil {
		t.Fatal(err)
	}
	got := waitActions(t, e, 2)
	if got[0].Kind != sdk.ActionReact || got[0].Emoji != "🙏" || got[0].DeskMessageID != first.DeskMessageID ||
		got[1].Kind != sdk.ActionDelete || got[1].ReplyExternalID != ts {
		t.Errorf("actions %+v; want 🙏 on the customer's post, then the delete of %s", got, ts)
	}
}
