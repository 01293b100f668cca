package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/internal/slackchannel"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// conformance runs the SDK's suite on h against a fresh fake workspace.
func conformance(t *testing.T, h *plugintest.Harness) {
	f := slackfake.New()
	t.Cleanup(f.Close)
	plugintest.RunConformance(t, h, plugintest.ConformanceOptions{
		ValidConfig: map[string]any{"bot_token": slackfake.BotToken, "signing_secret": slackfake.SigningSecret,
			"channel": slackfake.ChannelName, "api_url": f.APIURL()},
		BadSignatureRequest: func() sdk.WebhookRequest {
			return signed(`{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`, "wrong-secret")
		},
		ValidWebhookRequest: func(ref []byte) sdk.WebhookRequest {
			ch, root, _ := strings.Cut(string(ref), ":")
			ev, _ := json.Marshal(map[string]any{
				"type": "event_callback", "team_id": slackfake.TeamID, "api_app_id": slackfake.AppID,
				"event_id": fmt.Sprintf("Ev%d", time.Now().UnixNano()), "event_time": time.Now().Unix(),
				"event": map[string]any{"type": "message", "channel": ch, "user": slackfake.AgentUserID,
					"text": "Thanks, it ships today", "ts": "1900000000.000001", "thread_ts": root,
					"parent_user_id": slackfake.BotUserID},
			})
			return signed(string(ev), slackfake.SigningSecret)
		},
	})
}

func signed(body, secret string) sdk.WebhookRequest {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return sdk.WebhookRequest{Method: "POST", Path: "/", Body: []byte(body), Header: map[string][]string{
		"Content-Type":              {"application/json"},
		"X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature":         {slackfake.Sign(secret, ts, []byte(body))},
	}}
}

func TestConformanceInProcess(t *testing.T) {
	ch := slackchannel.New(slackchannel.Options{Version: "test"})
	t.Cleanup(ch.Close)
	conformance(t, plugintest.Serve(t, ch))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	conformance(t, plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/slack")))
}

// lifecycleOverSocket checks, across the plugin boundary, that a click on
// a header's button reaches the host through Host.PostAction and that a
// notice from another desk rewrites the header.
func lifecycleOverSocket(t *testing.T, h *plugintest.Harness) {
	f := slackfake.New()
	t.Cleanup(f.Close)
	plugintest.AssertConfigured(t, h.Configure(t, map[string]any{"bot_token": slackfake.BotToken,
		"app_token": slackfake.AppToken, "channel": slackfake.ChannelName, "api_url": f.APIURL()}))
	if !f.WaitFor(10*time.Second, func() bool { _, open := f.SocketConnections(); return open == 1 }) {
		t.Fatal("no Socket Mode connection")
	}
	ctx := t.Context()
	resp, err := h.Channel.Deliver(ctx, plugintest.SampleDeliver(sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hello"}, nil))
	ref := plugintest.AssertDelivered(t, resp, err)
	_, root, _ := strings.Cut(string(ref), ":")

	d, err := f.AgentClick(ctx, slackfake.ChannelID, root, slackfake.AgentUserID, "parley_claim")
	if err != nil {
		t.Fatal(err)
	}
	if !f.WaitFor(10*time.Second, func() bool { return len(h.Host.Actions()) == 1 && f.Acked(d.EnvelopeID) }) {
		t.Fatalf("actions %+v, acked %v; want the claim stored and acknowledged", h.Host.Actions(), f.Acked(d.EnvelopeID))
	}
	if a := h.Host.Actions()[0]; a.Kind != sdk.ActionClaim || a.Agent != "Alice" || string(a.ThreadRef) != string(ref) {
		t.Errorf("action %+v, want a claim by Alice on %s", a, ref)
	}

	n := sdk.Notice{Code: sdk.NoticeConversationClosed, Agent: "Ada Lovelace", Reason: sdk.CloseByAgent,
		State: sdk.StateClosed, SourceChannel: "helpscout", ActionExternalID: "hs-1", Text: "Ada Lovelace closed the conversation."}
	resp, err = h.Channel.Deliver(ctx, plugintest.SampleDeliver(sdk.Message{ID: "n1", Kind: sdk.KindNotice, Text: n.Text, Notice: &n}, ref))
	plugintest.AssertDelivered(t, resp, err)
	for _, m := range f.Roots(slackfake.ChannelID) {
		if m.TS == root && !strings.Contains(m.Blocks, "Closed by Ada Lovelace") {
			t.Errorf("header blocks %s, want the close", m.Blocks)
		}
	}
	if rs := f.Reactions(slackfake.ChannelID, root); len(rs) != 1 || rs[0].Name != "white_check_mark" {
		t.Errorf("header reactions %+v, want the app's ✅", rs)
	}
}

func TestLifecycleInProcess(t *testing.T) {
	ch := slackchannel.New(slackchannel.Options{Version: "test"})
	t.Cleanup(ch.Close)
	lifecycleOverSocket(t, plugintest.Serve(t, ch))
}

func TestLifecycleBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	lifecycleOverSocket(t, plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/slack")))
}
