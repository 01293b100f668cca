package storetest

import (
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// batcher returns the store as a store.InboundBatcher, skipping the test
// when the driver does not implement it.
func batcher(t *testing.T, e *env) store.InboundBatcher {
	b, ok := e.s.(store.InboundBatcher)
	if !ok {
		t.Skip("the driver does not implement store.InboundBatcher")
	}
	return b
}

func completer(t *testing.T, e *env) store.DeliveryCompleter {
	c, ok := e.s.(store.DeliveryCompleter)
	if !ok {
		t.Skip("the driver does not implement store.DeliveryCompleter")
	}
	return c
}

func inbound(e *env, update, chat int64, msgs ...sdk.Message) store.Inbound {
	in := store.Inbound{UpdateID: update, ChatID: chat, Messages: msgs, Channels: []string{"slack"}, Time: e.now}
	if chat != 0 {
		in.Contact = contact(chat)
	}
	return in
}

// testBatchInboundInOrder: a batch behaves as its updates one after
// another: later updates see earlier ones' conversations and update ids.
func testBatchInboundInOrder(t *testing.T, e *env) {
	b := batcher(t, e)
	e.commit(1, 70, []string{"slack"}, text("m0", "before the batch"))
	res, err := b.CommitInbounds(e.ctx, []store.Inbound{
		inbound(e, 2, 71, text("a1", "first")),
		inbound(e, 3, 71, text("a2", "second")),
		inbound(e, 4, 0), // ignored: only the id is recorded
		inbound(e, 2, 71, text("a1-again", "redelivered")),
		inbound(e, 1, 70, text("m0-again", "committed before the batch")),
		inbound(e, 5, 72, text("b1", "other chat")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 6 {
		t.Fatalf("%d results for 6 updates", len(res))
	}
	a := res[0].Conversation
	if !res[0].Created || res[0].Duplicate || a.Number != 2 || a.ChatID != 71 {
		t.Errorf("first update of chat 71: %+v, want a new conversation number 2", res[0])
	}
	if res[1].Created || res[1].Duplicate || res[1].Conversation.ID != a.ID {
		t.Errorf("second update of chat 71: %+v, want the conversation %s", res[1], a.ID)
	}
	if res[2].Duplicate || res[2].Conversation.ID != "" {
		t.Errorf("ignored update: %+v, want no conversation", res[2])
	}
	if !res[3].Duplicate || res[3].Conversation.ID != a.ID {
		t.Errorf("update 2 twice in a batch: %+v, want a duplicate of conversation %s", res[3], a.ID)
	}
	if !res[4].Duplicate || res[4].Conversation.ChatID != 70 {
		t.Errorf("update 1 again: %+v, want a duplicate of chat 70's conversation", res[4])
	}
	if !res[5].Created || res[5].Conversation.Number != 3 {
		t.Errorf("chat 72: %+v, want a new conversation number 3", res[5])
	}
	off, err := e.s.TelegramOffset(e.ctx, store.DefaultBot)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, off, int64(6), "offset after the batch")

	// Duplicates queued nothing, and chat 71's lane is in update order.
	got := lanes(e.claim("w", 10, e.now))
	mustEqual(t, got, map[string]string{
		res[4].Conversation.ID + "/slack": "m0", a.ID + "/slack": "a1", res[5].Conversation.ID + "/slack": "b1",
	}, "heads after the batch")
}

// testBatchInboundAtomic: one bad update stores none of its batch.
func testBatchInboundAtomic(t *testing.T, e *env) {
	b := batcher(t, e)
	_, err := b.CommitInbounds(e.ctx, []store.Inbound{
		inbound(e, 10, 80, text("ok", "fine")),
		inbound(e, 11, 81, sdk.Message{Kind: sdk.KindText, Text: "no id"}),
	})
	if err == nil {
		t.Fatal("a batch with a message without id was committed")
	}
	off, err := e.s.TelegramOffset(e.ctx, store.DefaultBot)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, off, int64(0), "offset after a failed batch")
	_, err = e.s.ConversationByChat(e.ctx, 80)
	mustErrorIs(t, err, store.ErrNotFound, "conversation of the batch's good update")
	e.claimNone("w", e.now, "a failed batch queues nothing")

	// The same batch, fixed, goes through.
	res, err := b.CommitInbounds(e.ctx, []store.Inbound{inbound(e, 10, 80, text("ok", "fine"))})
	if err != nil || len(res) != 1 || !res[0].Created {
		t.Fatalf("retried batch: %+v, %v", res, err)
	}
}

// testBatchComplete: completions in one call are recorded one by one, a
// lost lease failing only its own row.
func testBatchComplete(t *testing.T, e *env) {
	c := completer(t, e)
	e.commit(1, 1, []string{"slack"}, text("a1", "1"), text("a2", "2"))
	e.commit(2, 2, []string{"slack"}, text("b1", "1"))
	e.commit(3, 3, []string{"slack"}, text("c1", "1"))
	ds := e.claim("w1", 10, e.now)
	if len(ds) != 3 {
		t.Fatalf("claimed %s, want three lane heads", describe(ds))
	}
	byMsg := map[string]store.Delivery{}
	for _, d := range ds {
		byMsg[d.Message.ID] = d
	}
	// w1's lease on c1 runs out and w2 takes it over.
	stolen := e.claim("w2", 10, e.at(2*lease))
	if len(stolen) != 3 {
		t.Fatalf("after expiry w2 claimed %s, want all three", describe(stolen))
	}
	for _, d := range stolen {
		if d.Message.ID != "c1" {
			e.complete(d, "w2", nil, "")
		}
	}
	// w2 finished a1 and b1 itself; give w1 a fresh claim of a2.
	a2 := e.claimOne("w1", e.at(2*lease), "a2")
	errs, err := c.CompleteDeliveries(e.ctx, "w1", []store.Completion{
		{ID: a2.ID, ThreadRef: []byte("thread-a"), DeskMessageID: "desk-a2"},
		{ID: byMsg["c1"].ID, DeskMessageID: "desk-c1"},
		{ID: 1 << 40},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 3 {
		t.Fatalf("%d errors for 3 completions", len(errs))
	}
	if errs[0] != nil {
		t.Errorf("a2: %v", errs[0])
	}
	mustErrorIs(t, errs[1], store.ErrLeaseLost, "c1, leased to w2")
	mustErrorIs(t, errs[2], store.ErrNotFound, "an unknown delivery")

	// a2 is done: the lane moves on with the thread it reported.
	e.commit(4, 1, []string{"slack"}, text("a3", "3"))
	a3 := e.claimOne("w1", e.at(2*lease), "a3")
	mustEqual(t, string(a3.ThreadRef), "thread-a", "thread of the lane after a batch completion")
	// c1 is still w2's to finish.
	for _, d := range stolen {
		if d.Message.ID == "c1" {
			e.complete(d, "w2", nil, "desk-c1")
		}
	}
	e.claimNone("w3", e.at(2*lease), "every delivery but a3 (leased) is done")
}
