package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/helpscoutchannel"
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

// lifecycle checks across the plugin boundary that an agent's close in
// Help Scout reaches the host as an action, that a reopen from another
// desk makes the Help Scout conversation active again, and that the echo
// of the channel's own action ("test" is the harness's channel name)
// changes nothing.
func lifecycle(t *testing.T, h *plugintest.Harness) {
	fake := newFake(t)
	plugintest.AssertConfigured(t, h.Configure(t, config(fake, false)))
	conv := sdk.Conversation{ID: "c1", Number: 1}
	resp, err := h.Channel.Deliver(t.Context(), sdk.DeliverRequest{Conversation: conv, Contact: plugintest.SampleContact(),
		Message: sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "Hello"}})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(string(resp.ThreadRef), 10, 64)
	fake.SetStatus(id, "closed")
	payload, _ := fake.Payload(id, true)
	body, header, err := fake.SignedWebhook("convo.status", payload)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := h.Channel.HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Path: "/", Header: header, Body: body})
	if err != nil || hook.Status != 200 {
		t.Fatalf("convo.status answered %d %s, %v", hook.Status, hook.Body, err)
	}
	if acts := h.Host.Actions(); len(acts) != 1 || acts[0].Kind != sdk.ActionClose || acts[0].Agent != "Anna Agent" ||
		string(acts[0].ThreadRef) != string(resp.ThreadRef) {
		t.Fatalf("host got %+v, want Anna Agent's close", acts)
	}
	notice := func(n sdk.Notice) {
		t.Helper()
		n.Text = "A sentence."
		if _, err := h.Channel.Deliver(t.Context(), sdk.DeliverRequest{Conversation: conv, ThreadRef: resp.ThreadRef,
			Message: sdk.Message{ID: "n-" + string(n.Code), Kind: sdk.KindNotice, Text: n.Text, Notice: &n}}); err != nil {
			t.Fatal(err)
		}
	}
	notice(sdk.Notice{Code: sdk.NoticeConversationReopened, Agent: "Grace Hopper", SourceChannel: "slack", ActionExternalID: "Ev1"})
	notice(sdk.Notice{Code: sdk.NoticeConversationClosed, Agent: "Anna Agent", SourceChannel: "test", ActionExternalID: "x"})
	if c, _ := fake.Conversation(id); c.Status != "active" || len(c.StatusChanges) != 1 {
		t.Errorf("Help Scout conversation %s after changes %v; want active, set once (the own echo changes nothing)", c.Status, c.StatusChanges)
	}
}

func TestConformanceInProcess(t *testing.T) {
	conformance(t, plugintest.Serve(t, helpscoutchannel.New(helpscoutchannel.Options{Version: "test"})))
	lifecycle(t, plugintest.Serve(t, helpscoutchannel.New(helpscoutchannel.Options{Version: "test"})))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/helpscout")
	conformance(t, plugintest.ServeBinary(t, bin))
	lifecycle(t, plugintest.ServeBinary(t, bin))
}
