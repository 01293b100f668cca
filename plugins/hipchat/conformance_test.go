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

func TestConformanceInProcess(t *testing.T) {
	conformance(t, plugintest.Serve(t, hipchatchannel.New(hipchatchannel.Options{Version: "test"})))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	conformance(t, plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/hipchat")))
}
