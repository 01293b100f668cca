package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/plugins/hipchat/internal/hipchatchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

const webhookSecret = "conformance-secret-0123"

func newFake(t *testing.T) *hipchatfake.Server {
	t.Helper()
	fake, err := hipchatfake.New(hipchatfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

func config(fake *hipchatfake.Server) map[string]any {
	return map[string]any{
		"server_url": fake.URL(), "room": itoa(fake.RoomID()), "token": fake.RoomToken(),
		"webhook_secret": webhookSecret, "notify": false,
	}
}

func conformance(t *testing.T, h *plugintest.Harness) {
	fake := newFake(t)
	hanging := newFake(t)
	if err := hanging.Inject(&hipchatfake.Fault{Path: "/notification$", Times: 1 << 20, Delay: time.Minute}); err != nil {
		t.Fatal(err)
	}
	plugintest.RunConformance(t, h, plugintest.ConformanceOptions{
		ValidConfig:   config(fake),
		HangingConfig: config(hanging),
		BadSignatureRequest: func() sdk.WebhookRequest {
			body, err := fake.RoomMessagePayload(fake.RoomID(), hipchatfake.Message{Text: "#1 hello"})
			if err != nil {
				t.Fatal(err)
			}
			return sdk.WebhookRequest{Method: "POST", Path: "/not-the-secret", Body: body,
				Header: map[string][]string{"Content-Type": {"application/json"}}}
		},
		ValidWebhookRequest: func(ref []byte) sdk.WebhookRequest {
			body, err := fake.RoomMessagePayload(fake.RoomID(), hipchatfake.Message{Text: "#" + string(ref) + " Ships today."})
			if err != nil {
				t.Fatal(err)
			}
			return sdk.WebhookRequest{Method: "POST", Path: "/" + webhookSecret, Body: body,
				Header: map[string][]string{"Content-Type": {"application/json"}}}
		},
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// lifecycle checks across the plugin boundary that "#42 /close" reaches
// the host as the typing agent's close, and that the host's notice of it
// shows in the room as a grey line.
func lifecycle(t *testing.T, h *plugintest.Harness) {
	fake := newFake(t)
	plugintest.AssertConfigured(t, h.Configure(t, config(fake)))
	body, err := fake.RoomMessagePayload(fake.RoomID(), hipchatfake.Message{Text: "#42 /close"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Channel.HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Path: "/" + webhookSecret, Body: body,
		Header: map[string][]string{"Content-Type": {"application/json"}}})
	if err != nil || resp.Status != 204 {
		t.Fatalf("webhook answer %d %s, %v", resp.Status, resp.Body, err)
	}
	acts := h.Host.Actions()
	if len(acts) != 1 || acts[0].Kind != sdk.ActionClose || string(acts[0].ThreadRef) != "42" || acts[0].Agent != "Anna Agent" || acts[0].ExternalID == "" {
		t.Fatalf("host got actions %+v, want Anna Agent's close of #42", acts)
	}
	n := &sdk.Notice{Code: sdk.NoticeConversationClosed, Text: "Anna Agent closed the conversation.", Agent: "Anna Agent",
		Reason: sdk.CloseByAgent, State: sdk.StateClosed, SourceChannel: "test", ActionExternalID: acts[0].ExternalID}
	if _, err := h.Channel.Deliver(t.Context(), sdk.DeliverRequest{Conversation: sdk.Conversation{ID: "c42", Number: 42, State: sdk.StateClosed},
		ThreadRef: []byte("42"), Message: sdk.Message{ID: "n1", Kind: sdk.KindNotice, Text: n.Text, Notice: n}}); err != nil {
		t.Fatal(err)
	}
	if notes := fake.Notifications(fake.RoomID()); len(notes) != 1 || notes[0].Message != "<b>#42</b> closed by Anna Agent" || notes[0].Color != "gray" {
		t.Errorf("room shows %+v, want the grey line \"#42 closed by Anna Agent\"", notes)
	}
}

func TestConformanceInProcess(t *testing.T) {
	conformance(t, plugintest.Serve(t, hipchatchannel.New(hipchatchannel.Options{Version: "test"})))
	lifecycle(t, plugintest.Serve(t, hipchatchannel.New(hipchatchannel.Options{Version: "test"})))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/hipchat")
	conformance(t, plugintest.ServeBinary(t, bin))
	lifecycle(t, plugintest.ServeBinary(t, bin))
}
