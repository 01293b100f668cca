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
	ch := slackchannel.New("test")
	t.Cleanup(ch.Close)
	conformance(t, plugintest.Serve(t, ch))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	conformance(t, plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/slack")))
}
