package hipchatchannel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hipchatchannel"
	"github.com/parley-dev/parley/sdk"
)

// configureErrors configures a fresh channel with raw and no public URL;
// every case here fails before the channel calls HipChat.
func configureErrors(t *testing.T, raw string) map[string]string {
	t.Helper()
	resp, err := hipchatchannel.New(hipchatchannel.Options{}).Configure(context.Background(),
		sdk.ConfigureRequest{ChannelName: "hipchat", Config: json.RawMessage(raw)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range resp.Errors {
		if _, dup := got[e.Key]; dup {
			t.Errorf("two errors for %q: %v", e.Key, resp.Errors)
		}
		got[e.Key] = e.Message
	}
	return got
}

// A table with three problems gets all three back in one answer, not only
// the first the decoder met, and the misspelt key its correct spelling.
func TestConfigureReportsThreeProblemsAtOnce(t *testing.T) {
	got := configureErrors(t, `{"room":"  ","token":"t","webhook_secret":"short","colour":"red"}`)
	for _, key := range []string{"room", "webhook_secret", "colour"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no error for %q; got %v", key, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("got %d errors, want 3: %v", len(got), got)
	}
	if !strings.Contains(got["colour"], `did you mean "color"`) {
		t.Errorf("colour: %q does not suggest color", got["colour"])
	}
}

// A value of the wrong type is reported with the other problems too.
func TestConfigureReportsWrongTypesWithOtherProblems(t *testing.T) {
	got := configureErrors(t, `{"room":42,"token":"t","webhook_secret":"s3cret-path-segment-0123","notify":"yes","color":"blue"}`)
	for _, key := range []string{"room", "notify", "color"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no error for %q; got %v", key, got)
		}
	}
}

// register_webhook without the host's public URL names the key the
// operator sets, server.public_url.
func TestRegisterWebhookNamesPublicURLKey(t *testing.T) {
	got := configureErrors(t, `{"room":"1","token":"t","webhook_secret":"s3cret-path-segment-0123","register_webhook":true}`)
	if msg := got["register_webhook"]; !strings.Contains(msg, "server.public_url") {
		t.Errorf("register_webhook error %q does not name server.public_url (all: %v)", msg, got)
	}
}

// Calls to HipChat name the plugin and the version the build stamps.
func TestUserAgentNamesPluginAndVersion(t *testing.T) {
	agents := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case agents <- r.Header.Get("User-Agent"):
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ch := hipchatchannel.New(hipchatchannel.Options{Version: "1.2.3"})
	raw, _ := json.Marshal(map[string]any{"server_url": srv.URL, "room": "1", "token": "t", "webhook_secret": secret})
	resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{ChannelName: "hipchat", Config: raw})
	if err != nil || len(resp.Errors) > 0 {
		t.Fatalf("Configure: %v %v", err, resp.Errors)
	}
	select {
	case ua := <-agents:
		if ua != "parley-channel-hipchat/1.2.3" {
			t.Errorf("User-Agent %q, want parley-channel-hipchat/1.2.3", ua)
		}
	default:
		t.Fatal("Configure did not check the token with HipChat")
	}
}
