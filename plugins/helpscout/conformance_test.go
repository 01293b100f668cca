package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/channel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

const webhookSecret = "conformance-secret"

func newFake(t *testing.T) *helpscoutfake.Server {
	t.Helper()
	fake, err := helpscoutfake.New(helpscoutfake.Options{WebhookSecret: webhookSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

func config(fake *helpscoutfake.Server, uploads bool) map[string]any {
	return map[string]any{
		"app_id": fake.AppID(), "app_secret": fake.AppSecret(), "mailbox_id": fake.MailboxID(),
		"webhook_secret": webhookSecret, "api_url": fake.URL(), "tags": []string{"vip"}, "upload_files": uploads,
	}
}

func conformance(t *testing.T, h *plugintest.Harness) {
	fake := newFake(t)
	// A second account whose conversation calls never answer.
	hanging := newFake(t)
	if err := hanging.Inject(helpscoutfake.Fault{Path: "^/v2/conversations", Times: 1 << 20, Delay: time.Minute}); err != nil {
		t.Fatal(err)
	}
	plugintest.RunConformance(t, h, plugintest.ConformanceOptions{
		ValidConfig:   config(fake, true),
		HangingConfig: config(hanging, false),
		BadSignatureRequest: func() sdk.WebhookRequest {
			return sdk.WebhookRequest{Method: "POST", Path: "/", Body: []byte(`{"id":1}`), Header: map[string][]string{
				"X-Helpscout-Event":     {"convo.agent.reply.created"},
				"X-Helpscout-Signature": {"Y0IGf6wEvIUwF6iRZtH5Pncs+AI="}, // signed with another secret
			}}
		},
		ValidWebhookRequest: func(ref []byte) sdk.WebhookRequest {
			// Errors here are reported, not fatal: the suite runs this inside
			// its own subtest.
			id, _ := strconv.ParseInt(string(ref), 10, 64)
			if _, err := fake.AgentReply(id, helpscoutfake.Reply{HTML: "<div>Ships <b>today</b>.</div>"}, false); err != nil {
				t.Errorf("agent reply on thread ref %q: %v", ref, err)
			}
			payload, _ := fake.Payload(id, true)
			body, header, err := fake.SignedWebhook("convo.agent.reply.created", payload)
			if err != nil {
				t.Errorf("signing webhook: %v", err)
			}
			return sdk.WebhookRequest{Method: "POST", Path: "/", Header: header, Body: body}
		},
	})
}

func TestConformanceInProcess(t *testing.T) {
	conformance(t, plugintest.Serve(t, channel.New(channel.Options{Version: "test"})))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	conformance(t, plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/helpscout")))
}
