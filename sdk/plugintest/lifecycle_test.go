package plugintest_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// Lifecycle fields cross the plugin boundary intact both ways: the
// conversation's state and predecessor, a notice's structured fields, the
// previous thread reference, webhook actions and PostAction; and the fields
// bots, Telegram Business, reactions, hours and transfers added.
func TestLifecycleCrossesThePluginBoundary(t *testing.T) {
	ch := &lifecycleChannel{}
	h := plugintest.Serve(t, ch)
	plugintest.AssertConfigured(t, h.Configure(t, nil))
	desc, err := h.Channel.Describe(context.Background())
	if err != nil || !desc.Capabilities.Lifecycle || !desc.Capabilities.Reactions {
		t.Fatalf("Describe = %+v, %v; want the lifecycle and reactions capabilities", desc.Capabilities, err)
	}

	notice := &sdk.Notice{
		Code: sdk.NoticeConversationClosed, Text: "Closed by Grace Hopper.", Agent: "Grace Hopper",
		Reason: sdk.CloseByAgent, SourceChannel: "slack", ActionExternalID: "Ev1", State: sdk.StateClosed,
		Emoji: "👍", Removed: true, MessageID: "m7", Channels: []string{"helpscout", "slack-de"},
	}
	req := sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c2", Number: 43, State: sdk.StateClaimed, ClaimedBy: "Ada", PreviousID: "c1", PreviousNumber: 42,
			Bot: "shop", Business: &sdk.Business{ConnectionID: "bc1", Account: sdk.BusinessAccount{ID: 77, Username: "acme", Name: "Acme Ltd"}}},
		Message:           sdk.Message{ID: "n1", Kind: sdk.KindNotice, Text: notice.Text, Notice: notice, Time: time.Unix(1700000000, 0), OutsideHours: true},
		PreviousThreadRef: []byte("thread-c1"),
	}
	if _, err := h.Channel.Deliver(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := ch.lastDeliver()
	if !reflect.DeepEqual(got.Conversation, req.Conversation) || string(got.PreviousThreadRef) != "thread-c1" {
		t.Errorf("plugin saw %+v / previous %q", got.Conversation, got.PreviousThreadRef)
	}
	if !got.Message.OutsideHours {
		t.Error("plugin lost Message.OutsideHours")
	}
	if got.Message.Notice == nil || !reflect.DeepEqual(*got.Message.Notice, *notice) {
		t.Errorf("plugin saw notice %+v, want %+v", got.Message.Notice, notice)
	}

	// A batch hands the previous thread to its first item only.
	batch := h.Client.DeliverBatch(context.Background(), pluginclient.DeliverBatchRequest{
		Conversation: req.Conversation, PreviousThreadRef: []byte("thread-c1"),
		Items: []pluginclient.BatchItem{{Message: sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "a"}}, {Message: sdk.Message{ID: "m2", Kind: sdk.KindText, Text: "b"}}},
	})
	if batch.Err != nil || len(batch.Delivered) != 2 {
		t.Fatalf("batch: %+v", batch)
	}
	if prev := ch.previousRefs(); len(prev) != 3 || prev[1] != "thread-c1" || prev[2] != "" {
		t.Errorf("previous thread refs seen per Deliver: %q; want it on the batch's first item only", prev)
	}

	// Actions in a webhook answer reach the host side.
	resp, err := h.Channel.HandleWebhook(context.Background(), sdk.WebhookRequest{Method: "POST", Path: "/", Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.Action{{Kind: sdk.ActionClose, ThreadRef: []byte("thread-c2"), ExternalID: "Ev2", Agent: "Grace"},
		{Kind: sdk.ActionClaim, ConversationID: "c3", ExternalID: "Ev3"},
		{Kind: sdk.ActionReact, ConversationID: "c3", ExternalID: "Ev4", MessageID: "m1", DeskMessageID: "171.2", Emoji: "👀"},
		{Kind: sdk.ActionDelete, ConversationID: "c3", ExternalID: "Ev5", ReplyExternalID: "171.3"},
		{Kind: sdk.ActionTransfer, ConversationID: "c3", ExternalID: "Ev6", Channels: []string{"helpscout"}}}
	if !reflect.DeepEqual(resp.Actions, want) {
		t.Errorf("webhook actions %+v, want %+v", resp.Actions, want)
	}

	// PostAction reaches the host and its answer comes back.
	res := ch.postAction(t, sdk.Action{Kind: sdk.ActionClaim, ConversationID: "c9", ExternalID: "a1", Agent: "Ada"})
	if res.State != sdk.StateClaimed || !res.Changed || res.ConversationID != "c9" {
		t.Errorf("PostAction claim = %+v", res)
	}
	if res := ch.postAction(t, sdk.Action{Kind: sdk.ActionClaim, ConversationID: "c9", ExternalID: "a1", Agent: "Ada"}); !res.Duplicate {
		t.Errorf("a repeated action id was not a duplicate: %+v", res)
	}
	ch.postAction(t, sdk.Action{Kind: sdk.ActionClose, ConversationID: "c9", ExternalID: "a2"})
	if res := ch.postAction(t, sdk.Action{Kind: sdk.ActionClose, ConversationID: "c9", ExternalID: "a3"}); res.Changed || res.State != sdk.StateClosed {
		t.Errorf("closing a closed conversation: %+v, want unchanged and closed", res)
	}
	if acts := h.Host.Actions(); len(acts) != 3 || acts[0].Agent != "Ada" {
		t.Errorf("recorded actions %+v", acts)
	}
	if _, err := ch.host.PostAction(context.Background(), sdk.Action{Kind: "archive", ConversationID: "c9", ExternalID: "a4"}); err == nil || !sdk.IsPermanent(err) {
		t.Errorf("an unknown action kind: %v, want a permanent error", err)
	}
}

type lifecycleChannel struct {
	mu      sync.Mutex
	host    sdk.Host
	deliver []sdk.DeliverRequest
}

func (c *lifecycleChannel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "lifecycle", Version: "1", Capabilities: sdk.Capabilities{Lifecycle: true, Reactions: true}}, nil
}

func (c *lifecycleChannel) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	c.mu.Lock()
	c.host = req.Host
	c.mu.Unlock()
	return sdk.ConfigureResponse{}, nil
}

func (c *lifecycleChannel) Deliver(_ context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	c.mu.Lock()
	c.deliver = append(c.deliver, req)
	c.mu.Unlock()
	return sdk.DeliverResponse{ThreadRef: []byte("thread-" + req.Conversation.ID), DeskMessageID: req.Message.ID}, nil
}

func (c *lifecycleChannel) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	body, _ := json.Marshal(map[string]bool{"ok": true})
	return sdk.WebhookResponse{Status: 200, Body: body, Actions: []sdk.Action{
		{Kind: sdk.ActionClose, ThreadRef: []byte("thread-c2"), ExternalID: "Ev2", Agent: "Grace"},
		{Kind: sdk.ActionClaim, ConversationID: "c3", ExternalID: "Ev3"},
		{Kind: sdk.ActionReact, ConversationID: "c3", ExternalID: "Ev4", MessageID: "m1", DeskMessageID: "171.2", Emoji: "👀"},
		{Kind: sdk.ActionDelete, ConversationID: "c3", ExternalID: "Ev5", ReplyExternalID: "171.3"},
		{Kind: sdk.ActionTransfer, ConversationID: "c3", ExternalID: "Ev6", Channels: []string{"helpscout"}},
	}}, nil
}

func (c *lifecycleChannel) lastDeliver() sdk.DeliverRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deliver[len(c.deliver)-1]
}

func (c *lifecycleChannel) previousRefs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, d := range c.deliver {
		out = append(out, string(d.PreviousThreadRef))
	}
	return out
}

func (c *lifecycleChannel) postAction(t *testing.T, a sdk.Action) sdk.ActionResult {
	t.Helper()
	c.mu.Lock()
	host := c.host
	c.mu.Unlock()
	res, err := host.PostAction(context.Background(), a)
	if err != nil {
		t.Fatalf("PostAction(%+v): %v", a, err)
	}
	return res
}
