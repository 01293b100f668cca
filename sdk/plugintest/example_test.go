package plugintest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
	"github.com/parley-dev/parley/sdk/signature"
)

// memoDesk is a tiny channel: its "desk" is a slice in memory, and agents
// answer with a signed JSON webhook {"thread","id","text"}.
type memoDesk struct {
	mu     sync.Mutex
	secret []byte
	posted []string
}

func (d *memoDesk) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name: "memo", Version: "0.1.0",
		Capabilities: sdk.Capabilities{Threads: true, Webhooks: true, Formatting: "plain"},
		ConfigKeys:   []sdk.ConfigKey{{Name: "secret", Required: true, Secret: true, Description: "Webhook signing secret."}},
	}, nil
}

func (d *memoDesk) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var cfg struct {
		Secret string `json:"secret"`
	}
	if err := req.Decode(&cfg); err != nil || cfg.Secret == "" {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "secret", Message: "is required"}}}, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.secret = []byte(cfg.Secret)
	return sdk.ConfigureResponse{}, nil
}

func (d *memoDesk) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	if err := ctx.Err(); err != nil {
		return sdk.DeliverResponse{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.secret == nil {
		return sdk.DeliverResponse{}, sdk.ErrNotConfigured
	}
	d.posted = append(d.posted, req.Message.Text)
	ref := req.ThreadRef
	if len(ref) == 0 {
		ref = []byte("memo-" + req.Conversation.ID)
	}
	return sdk.DeliverResponse{ThreadRef: ref, DeskMessageID: fmt.Sprint(len(d.posted))}, nil
}

func (d *memoDesk) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	d.mu.Lock()
	secret := d.secret
	d.mu.Unlock()
	if signature.VerifyHMACSHA256(secret, req.Body, req.HeaderValue("X-Signature")) != nil {
		return sdk.WebhookResponse{Status: 401}, nil
	}
	var in struct{ Thread, ID, Text string }
	if json.Unmarshal(req.Body, &in) != nil || in.ID == "" || in.Thread == "" {
		return sdk.WebhookResponse{Status: 400}, nil
	}
	return sdk.WebhookResponse{Status: 200, Replies: []sdk.Reply{{ThreadRef: []byte(in.Thread), ExternalID: in.ID, Text: in.Text}}}, nil
}

func signedHook(secret string, body string) sdk.WebhookRequest {
	return sdk.WebhookRequest{Method: "POST", Body: []byte(body),
		Header: map[string][]string{"X-Signature": {signature.SignHMACSHA256([]byte(secret), []byte(body))}}}
}

// TestMemoDesk is how a plugin author tests a channel: serve it, then run
// the conformance suite in one call.
func TestMemoDesk(t *testing.T) {
	h := plugintest.Serve(t, &memoDesk{})
	plugintest.RunConformance(t, h, plugintest.ConformanceOptions{
		ValidConfig: map[string]string{"secret": "s3cret-value"},
		BadSignatureRequest: func() sdk.WebhookRequest {
			return signedHook("wrong", `{"Thread":"t","ID":"1","Text":"hi"}`)
		},
		ValidWebhookRequest: func(ref []byte) sdk.WebhookRequest {
			return signedHook("s3cret-value", fmt.Sprintf(`{"Thread":%q,"ID":"a1","Text":"Hello from the desk"}`, ref))
		},
	})
}

// Example_recordingHost shows a plugin's own test of replies reaching the
// host, without the gRPC round trip.
func Example_recordingHost() {
	host := plugintest.NewRecordingHost()
	ch := &memoDesk{}
	ctx := context.Background()
	_, _ = ch.Configure(ctx, sdk.ConfigureRequest{Config: json.RawMessage(`{"secret":"k"}`)})

	resp, _ := ch.HandleWebhook(ctx, signedHook("k", `{"Thread":"memo-c1","ID":"a1","Text":"Ships today"}`))
	_ = host.Record(ctx, resp.Replies...)
	_ = host.Record(ctx, resp.Replies...) // a desk retry: stored once

	for _, r := range host.Replies() {
		fmt.Printf("%s %s: %s\n", r.ThreadRef, r.ExternalID, r.Text)
	}
	// Output: memo-c1 a1: Ships today
}
