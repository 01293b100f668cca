package slackchannel_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/internal/slackchannel"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// env is one channel configured against one fake workspace, with a
// stand-in for the host's /hooks/<channel> endpoint that, like the host,
// stores the replies HandleWebhook returns before answering.
type env struct {
	t    *testing.T
	fake *slackfake.Fake
	ch   *slackchannel.Channel
	host *plugintest.RecordingHost
	hook *httptest.Server

	mu        sync.Mutex
	responses []sdk.WebhookResponse
}

func baseConfig(f *slackfake.Fake) map[string]any {
	return map[string]any{
		"bot_token":      slackfake.BotToken,
		"signing_secret": slackfake.SigningSecret,
		"channel":        "#" + slackfake.ChannelName,
		"api_url":        f.APIURL(),
	}
}

// newEnv starts a fake (with opts) and a channel configured with the base
// config changed by edit.
func newEnv(t *testing.T, edit func(map[string]any), opts ...slackfake.Option) *env {
	t.Helper()
	e := &env{t: t, fake: slackfake.New(append([]slackfake.Option{slackfake.WithRetryDelays(0, 50*time.Millisecond)}, opts...)...),
		ch: slackchannel.New(slackchannel.Options{Version: "test"}), host: plugintest.NewRecordingHost()}
	t.Cleanup(e.fake.Close)
	t.Cleanup(e.ch.Close)
	e.hook = httptest.NewServer(http.HandlerFunc(e.serveHook))
	t.Cleanup(e.hook.Close)
	e.fake.SetEventsURL(e.hook.URL + "/hooks/slack")
	cfg := baseConfig(e.fake)
	if edit != nil {
		edit(cfg)
	}
	resp := e.configure(cfg)
	plugintest.AssertConfigured(t, resp)
	return e
}

func (e *env) configure(cfg map[string]any) sdk.ConfigureResponse {
	e.t.Helper()
	raw, _ := json.Marshal(cfg)
	resp, err := e.ch.Configure(ctx(e.t), sdk.ConfigureRequest{ChannelName: "slack", Config: raw, Host: e.host})
	if err != nil {
		e.t.Fatalf("Configure: %v", err)
	}
	return resp
}

func (e *env) serveHook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	resp, err := e.ch.HandleWebhook(r.Context(), sdk.WebhookRequest{Method: r.Method, Path: "/",
		Header: r.Header, Body: body, RemoteAddr: r.RemoteAddr})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := e.host.Record(r.Context(), resp.Replies...); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Like the host: actions are applied after the replies, before the
	// desk gets its answer.
	for _, a := range resp.Actions {
		if _, err := e.host.PostAction(r.Context(), a); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	e.mu.Lock()
	e.responses = append(e.responses, resp)
	e.mu.Unlock()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func (e *env) hookResponses() []sdk.WebhookResponse {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdk.WebhookResponse(nil), e.responses...)
}

// deliver sends m for the sample conversation and contact on ref.
func (e *env) deliver(m sdk.Message, ref []byte) sdk.DeliverResponse {
	e.t.Helper()
	resp, err := e.ch.Deliver(ctx(e.t), plugintest.SampleDeliver(m, ref))
	plugintest.AssertDelivered(e.t, resp, err)
	return resp
}

// parentTS is the ts of the thread parent a ref names.
func parentTS(t *testing.T, ref []byte) string {
	t.Helper()
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == ':' {
			return string(ref[i+1:])
		}
	}
	t.Fatalf("thread ref %q has no ts", ref)
	return ""
}

// settle waits until every event the fake queued so far was delivered.
func (e *env) settle() {
	e.t.Helper()
	if _, err := e.fake.SendEvent(ctx(e.t), map[string]any{"type": "app_home_opened", "user": slackfake.AgentUserID}); err != nil {
		e.t.Fatalf("settle: %v", err)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

func text(s string) sdk.Message {
	return sdk.Message{ID: "m-" + s, Kind: sdk.KindText, Text: s, Time: time.Now()}
}
