package webhookchannel_test

import (
	"encoding/json"
	"testing"

	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
	"github.com/parley-dev/parley/sdk/signature"
)

func conformanceOptions(t *testing.T) plugintest.ConformanceOptions {
	rcv := newReceiver(t, secret)
	hanging := newReceiver(t, secret)
	hanging.mu.Lock()
	hanging.hang = true
	hanging.mu.Unlock()
	reply := func(threadRef []byte) []byte {
		b, _ := json.Marshal(webhookchannel.ReplyPayload{ConversationID: string(threadRef), ID: "reply-1", Text: "Thanks, it ships today."})
		return b
	}
	return plugintest.ConformanceOptions{
		ValidConfig:   map[string]string{"url": rcv.URL, "secret": secret},
		HangingConfig: map[string]string{"url": hanging.URL, "secret": secret, "timeout": "1m"},
		BadSignatureRequest: func() sdk.WebhookRequest {
			body := reply([]byte("conv-sample-1"))
			return sdk.WebhookRequest{Method: "POST", Path: "/", Body: body, Header: map[string][]string{
				webhookchannel.SignatureHeader: {signature.SignHMACSHA256([]byte("not the secret"), body)},
			}}
		},
		ValidWebhookRequest: func(threadRef []byte) sdk.WebhookRequest {
			body := reply(threadRef)
			return sdk.WebhookRequest{Method: "POST", Path: "/", Body: body, Header: map[string][]string{
				webhookchannel.SignatureHeader: {signature.SignHMACSHA256([]byte(secret), body)},
			}}
		},
	}
}

func TestConformanceInProcess(t *testing.T) {
	h := plugintest.Serve(t, webhookchannel.New(webhookchannel.Options{}))
	plugintest.RunConformance(t, h, conformanceOptions(t))
	lifecycleAcrossTheBoundary(t, plugintest.Serve(t, webhookchannel.New(webhookchannel.Options{})))
	wave2AcrossTheBoundary(t, plugintest.Serve(t, webhookchannel.New(webhookchannel.Options{})))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/webhook")
	h := plugintest.ServeBinary(t, bin)
	plugintest.RunConformance(t, h, conformanceOptions(t))
	lifecycleAcrossTheBoundary(t, plugintest.ServeBinary(t, bin))
	wave2AcrossTheBoundary(t, plugintest.ServeBinary(t, bin))
}
