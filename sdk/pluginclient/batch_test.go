package pluginclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// laneDesk records the deliveries it gets and misbehaves on request: a
// message whose text is "retry", "reject" or "panic" fails that way, and
// every delivery takes delay.
type laneDesk struct {
	delay time.Duration

	mu   sync.Mutex
	seen []string // "message-id@thread-ref"
}

func (d *laneDesk) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "lane"}, nil
}

func (d *laneDesk) Configure(context.Context, sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	return sdk.ConfigureResponse{}, nil
}

func (d *laneDesk) Deliver(ctx context.Context, r sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	time.Sleep(d.delay) // the desk's injected latency: a slow desk, so a batch can outlast its budget
	d.mu.Lock()
	d.seen = append(d.seen, r.Message.ID+"@"+string(r.ThreadRef))
	d.mu.Unlock()
	switch r.Message.Text {
	case "retry":
		return sdk.DeliverResponse{}, sdk.RetryAfter(errors.New("desk says slow down"), 7*time.Second)
	case "reject":
		return sdk.DeliverResponse{}, sdk.Permanent(errors.New("desk rejects it"))
	case "panic":
		panic("desk code bug")
	}
	ref := r.ThreadRef
	if len(ref) == 0 {
		ref = []byte("T-" + r.Message.ID) // a new thread on the first delivery
	}
	return sdk.DeliverResponse{ThreadRef: ref, DeskMessageID: "desk-" + r.Message.ID}, nil
}

func (d *laneDesk) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: 204}, nil
}

func (d *laneDesk) deliveries() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

func batchOf(texts ...string) pluginclient.DeliverBatchRequest {
	req := pluginclient.DeliverBatchRequest{Conversation: sdk.Conversation{ID: "c1", Number: 1}}
	for i, s := range texts {
		req.Items = append(req.Items, pluginclient.BatchItem{Message: sdk.Message{ID: fmt.Sprintf("m%d", i+1), Kind: sdk.KindText, Text: s}})
	}
	return req
}

// describedClient serves desk behind the real gRPC adapters, with the
// host's Describe done so the client knows the plugin takes batches.
func describedClient(t *testing.T, desk sdk.Channel) *pluginclient.ChannelClient {
	t.Helper()
	h := plugintest.Serve(t, desk)
	plugintest.AssertConfigured(t, h.Configure(t, map[string]any{}))
	if _, err := h.Client.Describe(t.Context()); err != nil {
		t.Fatal(err)
	}
	return h.Client
}

func TestBatchDeliversInOrderOnOneThread(t *testing.T) {
	desk := &laneDesk{}
	client := describedClient(t, desk)
	resp := pluginclient.DeliverBatch(t.Context(), client, batchOf("a", "b", "c"))
	if resp.Err != nil {
		t.Fatal(resp.Err)
	}
	if len(resp.Delivered) != 3 {
		t.Fatalf("%d delivered, want 3", len(resp.Delivered))
	}
	for i, d := range resp.Delivered {
		if want := fmt.Sprintf("desk-m%d", i+1); d.DeskMessageID != want || string(d.ThreadRef) != "T-m1" {
			t.Errorf("result %d: %q on %q, want %q on T-m1", i, d.DeskMessageID, d.ThreadRef, want)
		}
	}
	want := []string{"m1@", "m2@T-m1", "m3@T-m1"}
	if got := desk.deliveries(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the desk saw %v, want %v (the first delivery opens the thread, the rest follow it)", got, want)
	}
}

func TestBatchStopsAtTheFirstFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(t *testing.T, err error)
	}{
		{"retry", func(t *testing.T, err error) { plugintest.AssertRetryAfter(t, err, 7*time.Second) }},
		{"reject", func(t *testing.T, err error) { plugintest.AssertPermanent(t, err) }},
		{"panic", func(t *testing.T, err error) {
			plugintest.AssertTemporary(t, err)
			if err == nil || !strings.Contains(err.Error(), "panicked") {
				t.Errorf("error %v does not say the plugin panicked", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desk := &laneDesk{}
			client := describedClient(t, desk)
			resp := pluginclient.DeliverBatch(t.Context(), client, batchOf("a", tc.name, "c"))
			if len(resp.Delivered) != 1 || resp.Delivered[0].DeskMessageID != "desk-m1" {
				t.Fatalf("delivered %+v, want m1 only", resp.Delivered)
			}
			tc.check(t, resp.Err)
			if got := desk.deliveries(); len(got) != 2 {
				t.Fatalf("the desk saw %v: the item after a failure must not be attempted", got)
			}
		})
	}
}

func TestBatchEndsWithinItsBudget(t *testing.T) {
	desk := &laneDesk{delay: 40 * time.Millisecond}
	client := describedClient(t, desk)
	req := batchOf("a", "b", "c", "d", "e", "f", "g", "h")
	req.Budget = 60 * time.Millisecond
	resp := pluginclient.DeliverBatch(t.Context(), client, req)
	if resp.Err != nil {
		t.Fatal(resp.Err)
	}
	// Items start at 0, 40, 80 ms...: the budget lets two start, and a
	// loaded machine may stretch that; all eight would take 320 ms.
	if n := len(resp.Delivered); n < 1 || n >= len(req.Items) {
		t.Fatalf("%d of %d delivered within a budget of %s", n, len(req.Items), req.Budget)
	}
	if got := desk.deliveries(); len(got) != len(resp.Delivered) {
		t.Fatalf("the desk saw %d deliveries, the batch reported %d", len(got), len(resp.Delivered))
	}
}

// A client that has not seen the plugin's Describe (or a plugin built
// before batches) gets the same results, one Deliver per item.
func TestBatchWithoutTheCapability(t *testing.T) {
	desk := &laneDesk{}
	h := plugintest.Serve(t, desk)
	plugintest.AssertConfigured(t, h.Configure(t, map[string]any{}))
	resp := h.Client.DeliverBatch(t.Context(), batchOf("a", "b", "retry", "d"))
	if len(resp.Delivered) != 2 {
		t.Fatalf("%d delivered, want 2", len(resp.Delivered))
	}
	plugintest.AssertRetryAfter(t, resp.Err, 7*time.Second)
	want := []string{"m1@", "m2@T-m1", "m3@T-m1"}
	if got := desk.deliveries(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the desk saw %v, want %v", got, want)
	}
}

// In-process channels take a batch item by item through pluginclient.DeliverBatch.
func TestDeliverBatchInProcess(t *testing.T) {
	desk := &laneDesk{}
	resp := pluginclient.DeliverBatch(t.Context(), desk, batchOf("a", "reject", "c"))
	if len(resp.Delivered) != 1 || !sdk.IsPermanent(resp.Err) {
		t.Fatalf("delivered %d, error %v; want 1 and a permanent error", len(resp.Delivered), resp.Err)
	}
}
