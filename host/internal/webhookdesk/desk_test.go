package webhookdesk_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
)

const secret = "desk-test-secret"

// The desk and the webhook plugin agree on the lifecycle wire format both
// ways: the desk reads a notice's fields as the plugin sends them, and the
// plugin turns the desk's actions into host actions.
func TestDeskSpeaksThePluginsLifecycleFormat(t *testing.T) {
	desk := webhookdesk.New(secret)
	if err := desk.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(desk.Close)
	ch := webhookchannel.New(webhookchannel.Options{})
	cfg, _ := json.Marshal(map[string]string{"url": desk.URL(), "secret": secret})
	if resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{Config: cfg}); err != nil || len(resp.Errors) > 0 {
		t.Fatalf("configure: %+v, %v", resp, err)
	}

	notice := &sdk.Notice{Code: sdk.NoticeConversationClosed, Text: "Ada closed the conversation.", Agent: "Ada",
		Reason: sdk.CloseByAgent, State: sdk.StateClosed, SourceChannel: "desk", ActionExternalID: "a-1"}
	_, err := ch.Deliver(context.Background(), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c-2", Number: 2, State: sdk.StateClosed, PreviousID: "c-1", PreviousNumber: 1},
		Message:      sdk.Message{ID: "n-1", Kind: sdk.KindNotice, Text: notice.Text, Notice: notice, Time: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := desk.Notices(string(sdk.NoticeConversationClosed))
	if len(got) != 1 {
		t.Fatalf("desk has %d close notices, want 1: %+v", len(got), desk.Received())
	}
	n := got[0].Message.Notice
	if n.AgentName() != "Ada" || n.Reason != "agent" || n.State != "closed" || n.ActionID != "a-1" || n.SourceChannel != "desk" {
		t.Errorf("desk read notice %+v", n)
	}
	if c := got[0].Conversation; c.Number != 2 || c.State != "closed" || c.Previous == nil || c.Previous.Number != 1 {
		t.Errorf("desk read conversation %+v", c)
	}

	var actions []sdk.Action
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		resp, err := ch.HandleWebhook(r.Context(), sdk.WebhookRequest{Method: r.Method, Path: "/", Header: r.Header, Body: body})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		actions = append(actions, resp.Actions...)
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	}))
	defer hook.Close()
	status, body, err := desk.SendAction(context.Background(), hook.URL, "claim", "c-2", "a-2", "Grace Hopper")
	if err != nil || status != 200 {
		t.Fatalf("SendAction: %d %s %v", status, body, err)
	}
	want := []sdk.Action{{Kind: sdk.ActionClaim, ConversationID: "c-2", ExternalID: "a-2", Agent: "Grace Hopper"}}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("plugin made %+v of the desk's action, want %+v", actions, want)
	}
}
