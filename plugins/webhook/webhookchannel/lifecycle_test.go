package webhookchannel_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestDescribeAnnouncesLifecycle(t *testing.T) {
	desc, err := webhookchannel.New(webhookchannel.Options{}).Describe(context.Background())
	if err != nil || !desc.Capabilities.Lifecycle {
		t.Fatalf("capabilities %+v, %v; want Lifecycle", desc.Capabilities, err)
	}
}

// Lifecycle notices reach the receiver with a machine-readable code and
// their fields, and the conversation object names its state and
// predecessor.
func TestDeliverLifecycleNotices(t *testing.T) {
	conv := sdk.Conversation{ID: "c-43", Number: 43, State: sdk.StateClaimed, ClaimedBy: "Grace Hopper", PreviousID: "c-41", PreviousNumber: 41}
	tests := []struct {
		name     string
		notice   sdk.Notice
		prevRef  string
		wantConv map[string]any
		want     map[string]any
	}{
		{"claimed", sdk.Notice{Code: sdk.NoticeConversationClaimed, Text: "Grace Hopper claimed the conversation.", Agent: "Grace Hopper",
			State: sdk.StateClaimed, SourceChannel: "mydesk", ActionExternalID: "act-1"}, "c-41",
			map[string]any{"id": "c-43", "number": float64(43), "state": "claimed", "claimed_by": "Grace Hopper",
				"previous": map[string]any{"id": "c-41", "number": float64(41), "thread_ref": "c-41"}},
			map[string]any{"code": "conversation_claimed", "agent": map[string]any{"name": "Grace Hopper"}, "state": "claimed",
				"source_channel": "mydesk", "action_id": "act-1"}},
		{"closed from elsewhere", sdk.Notice{Code: sdk.NoticeConversationClosed, Text: "Closed by Ada.", Agent: "Ada", Reason: sdk.CloseByAgent,
			State: sdk.StateClosed, SourceChannel: "slack", ActionExternalID: "Ev9"}, "", nil,
			map[string]any{"code": "conversation_closed", "agent": map[string]any{"name": "Ada"}, "reason": "agent", "state": "closed",
				"source_channel": "slack", "action_id": "Ev9"}},
		{"closed when idle has no agent", sdk.Notice{Code: sdk.NoticeConversationClosed, Text: "Closed after 72h without messages.",
			Reason: sdk.CloseByIdle, State: sdk.StateClosed}, "", nil,
			map[string]any{"code": "conversation_closed", "reason": "idle", "state": "closed"}},
		{"unclaimed", sdk.Notice{Code: sdk.NoticeConversationUnclaimed, Text: "Unclaimed.", Agent: "Grace Hopper", State: sdk.StateOpen}, "", nil,
			map[string]any{"code": "conversation_unclaimed", "agent": map[string]any{"name": "Grace Hopper"}, "state": "open"}},
		{"reopened", sdk.Notice{Code: sdk.NoticeConversationReopened, Text: "Reopened.", Agent: "Ada", State: sdk.StateOpen}, "", nil,
			map[string]any{"code": "conversation_reopened", "agent": map[string]any{"name": "Ada"}, "state": "open"}},
		{"action ignored", sdk.Notice{Code: sdk.NoticeActionIgnored, Text: "The conversation is closed; reopen it to claim it.",
			State: sdk.StateClosed, SourceChannel: "mydesk", ActionExternalID: "act-2"}, "", nil,
			map[string]any{"code": "action_ignored", "state": "closed", "source_channel": "mydesk", "action_id": "act-2"}},
		{"rating", sdk.Notice{Code: sdk.NoticeRating, Text: "The customer rated the conversation 4/5.", Score: 4, Scale: 5}, "", nil,
			map[string]any{"code": "rating", "score": float64(4), "scale": float64(5)}},
		{"older notice keeps its code", sdk.Notice{Code: sdk.NoticeReplyFailed, Text: "Reply r-1 could not be sent.", ReplyExternalID: "r-1"}, "", nil,
			map[string]any{"code": "reply_failed", "reply_id": "r-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newReceiver(t, secret)
			ch := configured(t, rcv, nil)
			n := tc.notice
			req := sdk.DeliverRequest{Conversation: conv, Contact: plugintest.SampleContact(), ThreadRef: []byte("c-43"),
				PreviousThreadRef: []byte(tc.prevRef),
				Message:           sdk.Message{ID: "n-1", Kind: sdk.KindNotice, Text: n.Text, Notice: &n, Time: time.Unix(1700000000, 0)}}
			if _, err := ch.Deliver(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			got := rcv.received(t)[0]
			msg := got["message"].(map[string]any)
			if msg["kind"] != "notice" || msg["text"] != n.Text || !reflect.DeepEqual(msg["notice"], tc.want) {
				b, _ := json.Marshal(msg)
				t.Errorf("message %s;\nwant notice %v", b, tc.want)
			}
			wantConv := tc.wantConv
			if wantConv == nil {
				wantConv = map[string]any{"id": "c-43", "number": float64(43), "state": "claimed", "claimed_by": "Grace Hopper",
					"previous": map[string]any{"id": "c-41", "number": float64(41)}}
			}
			if !reflect.DeepEqual(got["conversation"], wantConv) {
				t.Errorf("conversation %v, want %v", got["conversation"], wantConv)
			}
		})
	}
}

// A text message carries no "notice" key, and a conversation from a host
// before lifecycles reads as open with no predecessor.
func TestDeliverPlainMessageHasNoNotice(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	if _, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil)); err != nil {
		t.Fatal(err)
	}
	got := rcv.received(t)[0]
	if _, ok := got["message"].(map[string]any)["notice"]; ok {
		t.Errorf("a text message has a notice: %v", got["message"])
	}
	if c, _ := got["conversation"].(map[string]any); c["state"] != "open" || c["previous"] != nil || c["claimed_by"] != nil {
		t.Errorf("conversation %v, want open without claim or predecessor", c)
	}
}

func TestHandleWebhookActions(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	tests := []struct {
		name string
		body string
		want sdk.Action
	}{
		{"claim", `{"action":"claim","conversation_id":"c-1","id":"a-1","agent":{"name":"Grace Hopper"}}`,
			sdk.Action{Kind: sdk.ActionClaim, ConversationID: "c-1", ExternalID: "a-1", Agent: "Grace Hopper"}},
		{"unclaim", `{"action":"unclaim","conversation_id":"c-1","id":"a-2","agent":{"name":"Grace Hopper"}}`,
			sdk.Action{Kind: sdk.ActionUnclaim, ConversationID: "c-1", ExternalID: "a-2", Agent: "Grace Hopper"}},
		{"close", `{"action":"close","conversation_id":"c-1","id":"a-3","agent":{"name":" Ada "}}`,
			sdk.Action{Kind: sdk.ActionClose, ConversationID: "c-1", ExternalID: "a-3", Agent: "Ada"}},
		{"reopen without agent", `{"action":"reopen","conversation_id":"c-1","id":"a-4"}`,
			sdk.Action{Kind: sdk.ActionReopen, ConversationID: "c-1", ExternalID: "a-4"}},
		{"empty text is no text", `{"action":"close","conversation_id":"c-1","id":"a-5","text":""}`,
			sdk.Action{Kind: sdk.ActionClose, ConversationID: "c-1", ExternalID: "a-5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ch.HandleWebhook(context.Background(), signed(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			plugintest.AssertStatus(t, resp, 200)
			if len(resp.Replies) != 0 || !reflect.DeepEqual(resp.Actions, []sdk.Action{tc.want}) {
				t.Errorf("replies %+v, actions %+v; want only %+v", resp.Replies, resp.Actions, tc.want)
			}
		})
	}
}

func TestHandleWebhookRejectsBadActions(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	tests := []struct {
		name    string
		req     sdk.WebhookRequest
		status  int
		errPart string
	}{
		{"unknown action", signed(`{"action":"archive","conversation_id":"c","id":"a"}`), 400, `unknown "action" "archive": want "claim", "unclaim", "close", "reopen", "react", "delete", "typing" or "transfer"`},
		{"action with text", signed(`{"action":"close","conversation_id":"c","id":"a","text":"Bye!"}`), 400, `carries no "text"`},
		{"action with attachments", signed(`{"action":"close","conversation_id":"c","id":"a","attachments":[{"url":"https://x.io/a"}]}`), 400, "two requests"},
		{"action without id", signed(`{"action":"close","conversation_id":"c"}`), 400, `"id" is required`},
		{"action without conversation", signed(`{"action":"close","id":"a"}`), 400, `"conversation_id" is required`},
		{"agent not an object", signed(`{"action":"claim","conversation_id":"c","id":"a","agent":"Grace"}`), 400, `"agent" must be an object`},
		{"action not a string", signed(`{"action":1,"conversation_id":"c","id":"a"}`), 400, `"action"`},
		{"unsigned action", sdk.WebhookRequest{Method: "POST", Body: []byte(`{"action":"close","conversation_id":"c","id":"a"}`)}, 401, "missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ch.HandleWebhook(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			plugintest.AssertStatus(t, resp, tc.status)
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			_ = json.Unmarshal(resp.Body, &body)
			if body.OK || !strings.Contains(body.Error, tc.errPart) || len(resp.Actions) != 0 || len(resp.Replies) != 0 {
				t.Errorf("answer %s, %d actions, %d replies; want an error mentioning %q and nothing applied",
					resp.Body, len(resp.Actions), len(resp.Replies), tc.errPart)
			}
		})
	}
}

// lifecycleAcrossTheBoundary checks through the plugin boundary that an
// action in a webhook reaches the host as an action, not a reply, and that
// a notice's fields reach the receiver.
func lifecycleAcrossTheBoundary(t *testing.T, h *plugintest.Harness) {
	rcv := newReceiver(t, secret)
	plugintest.AssertConfigured(t, h.Configure(t, map[string]string{"url": rcv.URL, "secret": secret}))
	resp, err := h.Channel.HandleWebhook(context.Background(), signed(`{"action":"close","conversation_id":"c-1","id":"a-1","agent":{"name":"Ada"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.Action{{Kind: sdk.ActionClose, ConversationID: "c-1", ExternalID: "a-1", Agent: "Ada"}}
	if resp.Status != 200 || !reflect.DeepEqual(resp.Actions, want) {
		t.Errorf("status %d, actions %+v; want 200 and %+v", resp.Status, resp.Actions, want)
	}
	n := &sdk.Notice{Code: sdk.NoticeRating, Text: "Rated 4/5.", Score: 4, Scale: 5}
	if _, err := h.Channel.Deliver(context.Background(), sdk.DeliverRequest{Conversation: sdk.Conversation{ID: "c-1", Number: 1, State: sdk.StateClosed},
		Message: sdk.Message{ID: "n-1", Kind: sdk.KindNotice, Text: n.Text, Notice: n}}); err != nil {
		t.Fatal(err)
	}
	got := rcv.received(t)
	if len(got) != 1 || !reflect.DeepEqual(got[0]["message"].(map[string]any)["notice"], map[string]any{"code": "rating", "score": float64(4), "scale": float64(5)}) {
		t.Errorf("receiver got %v, want the rating's score and scale", got)
	}
}
