package slackchannel_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestSocketModeRoundTripWithReconnect(t *testing.T) {
	e := newEnv(t, func(c map[string]any) {
		delete(c, "signing_secret")
		c["app_token"] = slackfake.AppToken
	}, slackfake.WithPingInterval(200*time.Millisecond))
	if !e.fake.WaitFor(wait, func() bool { _, open := e.fake.SocketConnections(); return open == 1 }) {
		t.Fatal("the plugin did not open a Socket Mode connection")
	}
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)

	ts1, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "first answer")
	if err != nil {
		t.Fatal(err)
	}
	first := plugintest.AssertReplies(t, e.host, 1, wait)[0]
	if first.ExternalID != ts1 || first.Text != "first answer" {
		t.Errorf("reply %+v", first)
	}

	// The connection drops; an answer written meanwhile is redelivered
	// once the plugin has reconnected by itself.
	e.fake.DropSocket()
	ts2, _, err := e.fake.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "second answer")
	if err != nil {
		t.Fatal(err)
	}
	got := plugintest.AssertReplies(t, e.host, 2, 3*wait)
	if got[1].ExternalID != ts2 {
		t.Errorf("second reply %+v, want ts %s", got[1], ts2)
	}
	if total, _ := e.fake.SocketConnections(); total < 2 {
		t.Errorf("%d connections; the plugin did not reconnect", total)
	}
	// Every envelope, the echoes of our own posts included, is acked;
	// only after the host stored its reply.
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Unacked()) == 0 }) {
		t.Errorf("envelopes left unacknowledged: %v", e.fake.Unacked())
	}
	if len(e.host.Replies()) != 2 {
		t.Errorf("%d replies, want 2 (echoes and redeliveries must not add any)", len(e.host.Replies()))
	}
	// Events do not go over HTTP in Socket Mode, and the hook says so.
	if len(e.hookResponses()) != 0 {
		t.Errorf("%d events went to the HTTP hook", len(e.hookResponses()))
	}
	_, status, _, err := e.fake.SendURLVerification(ctx(t))
	if err != nil || status != http.StatusNotFound {
		t.Errorf("webhook in Socket Mode answered %d (%v), want 404", status, err)
	}
}

func TestSocketModeRedeliveryReachesUserOnce(t *testing.T) {
	e := newEnv(t, func(c map[string]any) {
		delete(c, "signing_secret")
		c["app_token"] = slackfake.AppToken
	})
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	inner := map[string]any{"type": "message", "channel": slackfake.ChannelID, "user": slackfake.AgentUserID,
		"text": "same event twice", "ts": "1800000000.000001", "thread_ts": root, "parent_user_id": slackfake.BotUserID}
	if _, err := e.fake.SendSocketEnvelope(ctx(t), inner); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.SendSocketEnvelope(ctx(t), inner); err != nil {
		t.Fatal(err)
	}
	plugintest.AssertReplies(t, e.host, 1, wait)
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Unacked()) == 0 }) {
		t.Errorf("envelopes left unacknowledged: %v", e.fake.Unacked())
	}
	if n := len(e.host.Replies()); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
}
