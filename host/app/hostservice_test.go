package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/router"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/sqlite"
	"github.com/parley-dev/parley/sdk"
)

// deliveredThrough stores a conversation routed to channels and completes
// its delivery to each with thread reference "thread-<channel>".
func deliveredThrough(t *testing.T, st store.Store, channels ...string) store.Conversation {
	t.Helper()
	ctx := t.Context()
	res, err := st.CommitInbound(ctx, store.Inbound{
		UpdateID: 1, ChatID: 42, Contact: sdk.Contact{TelegramUserID: 42, FirstName: "Ann"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hello", Time: time.Now()}},
		Channels: channels,
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "test", Limit: 10, Lease: time.Minute})
	if err != nil || len(ds) != len(channels) {
		t.Fatalf("claimed %d deliveries (%v), want %d", len(ds), err, len(channels))
	}
	for _, d := range ds {
		if err := st.CompleteDelivery(ctx, d.ID, "test", []byte("thread-"+d.Channel), "desk-1"); err != nil {
			t.Fatal(err)
		}
	}
	return res.Conversation
}

func storedReplies(t *testing.T, st store.Store) []store.QueueRow {
	t.Helper()
	var out []store.QueueRow
	rows, err := st.Queue(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Kind == "reply" {
			out = append(out, r)
		}
	}
	return out
}

func TestPostReplyReachesOnlyItsOwnChannelsConversations(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conv := deliveredThrough(t, st, "sales")
	// "support" is a channel this conversation was never routed to.
	routes := router.New([]string{"sales"}).Route
	support := &hostService{channel: "support", store: st, routes: routes}

	for name, r := range map[string]sdk.Reply{
		"another channel's thread":              {ThreadRef: []byte("thread-sales"), ExternalID: "r1", Text: "hijack"},
		"another channel's conversation id":     {ConversationID: conv.ID, ExternalID: "r2", Text: "hijack"},
		"own-looking thread and a foreign id":   {ThreadRef: []byte("thread-support"), ConversationID: conv.ID, ExternalID: "r3", Text: "hijack"},
		"a conversation id that does not exist": {ConversationID: "no-such-conversation", ExternalID: "r4", Text: "hijack"},
	} {
		_, err := support.PostReply(ctx, r)
		if err == nil || !sdk.IsPermanent(err) || !errors.Is(err, store.ErrUnknownConversation) {
			t.Errorf("%s: PostReply = %v, want a permanent unknown-conversation error", name, err)
		}
	}
	if rows := storedReplies(t, st); len(rows) != 0 {
		t.Fatalf("refused replies were stored: %+v", rows)
	}

	// The channel the conversation was delivered through answers it.
	sales := &hostService{channel: "sales", store: st, routes: routes}
	for _, r := range []sdk.Reply{
		{ThreadRef: []byte("thread-sales"), ExternalID: "s1", Text: "hi"},
		{ConversationID: conv.ID, ExternalID: "s2", Text: "hi again"},
	} {
		res, err := sales.PostReply(ctx, r)
		if err != nil || res.ConversationID != conv.ID {
			t.Errorf("sales PostReply(%s) = %+v, %v; want stored in %s", r.ExternalID, res, err, conv.ID)
		}
	}
	if rows := storedReplies(t, st); len(rows) != 2 {
		t.Errorf("stored %d replies, want sales' 2", len(rows))
	}
}

// A desk webhook's answer is held to the same rule as PostReply: the
// hook of a channel cannot answer a conversation routed elsewhere.
func TestWebhookRepliesReachOnlyTheirChannelsConversations(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conv := deliveredThrough(t, st, "sales")
	h := &host{store: st, router: router.New([]string{"sales"})}
	hooks := webhookReplies{h}

	foreign := []sdk.Reply{
		{ConversationID: conv.ID, ExternalID: "ok-looking", Text: "first"},
	}
	if _, err := hooks.CommitReplies(ctx, "support", foreign); !errors.Is(err, store.ErrUnknownConversation) {
		t.Fatalf("support's hook answering sales' conversation: %v, want an unknown-conversation error (422)", err)
	}
	if rows := storedReplies(t, st); len(rows) != 0 {
		t.Fatalf("refused webhook replies were stored: %+v", rows)
	}
	res, err := hooks.CommitReplies(ctx, "sales", []sdk.Reply{{ConversationID: conv.ID, ExternalID: "s1", Text: "hi"}})
	if err != nil || len(res) != 1 || res[0].ConversationID != conv.ID {
		t.Fatalf("sales' hook answering its own conversation: %+v, %v", res, err)
	}
}

func TestPostActionReachesOnlyItsOwnChannelsConversations(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conv := deliveredThrough(t, st, "sales")
	routes := router.New([]string{"sales"}).Route
	woken := 0
	support := &hostService{channel: "support", store: st, routes: routes, notify: func() { woken++ }}
	for name, a := range map[string]sdk.Action{
		"another channel's thread":          {Kind: sdk.ActionClose, ThreadRef: []byte("thread-sales"), ExternalID: "a1"},
		"another channel's conversation id": {Kind: sdk.ActionClose, ConversationID: conv.ID, ExternalID: "a2"},
		"no such conversation":              {Kind: sdk.ActionClose, ConversationID: "c_nope", ExternalID: "a3"},
	} {
		_, err := support.PostAction(ctx, a)
		if err == nil || !sdk.IsPermanent(err) || !errors.Is(err, store.ErrUnknownConversation) {
			t.Errorf("%s: PostAction = %v, want a permanent unknown-conversation error", name, err)
		}
	}
	sales := &hostService{channel: "sales", store: st, routes: routes, notify: func() { woken++ }}
	if _, err := sales.PostAction(ctx, sdk.Action{Kind: "archive", ConversationID: conv.ID, ExternalID: "a4"}); !sdk.IsPermanent(err) {
		t.Errorf("an unknown kind: %v, want a permanent error", err)
	}
	if woken != 0 {
		t.Fatalf("refused actions woke the dispatcher %d times", woken)
	}
	if c, _ := st.Conversation(ctx, conv.ID); c.State != sdk.StateOpen {
		t.Fatalf("refused actions changed the conversation: %+v", c)
	}
	a := sdk.Action{Kind: sdk.ActionClaim, ConversationID: conv.ID, ExternalID: "a5", Agent: "Ann"}
	res, err := sales.PostAction(ctx, a)
	if err != nil || res.Duplicate || !res.Changed || res.State != sdk.StateClaimed || woken != 1 {
		t.Fatalf("own action: %+v, %v (woken %d)", res, err, woken)
	}
	if res, err := sales.PostAction(ctx, a); err != nil || !res.Duplicate || woken != 1 {
		t.Fatalf("repeat: %+v, %v (woken %d)", res, err, woken)
	}
}

// An agent who answers a message the moment the desk shows it names a
// thread the host may not have recorded yet (the delivery's completion is
// committed after the plugin answers): the reply waits for the record
// instead of being refused.
func TestReplyRacingTheDeliveryRecordIsKept(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res, err := st.CommitInbound(ctx, store.Inbound{
		UpdateID: 1, ChatID: 42, Contact: sdk.Contact{TelegramUserID: 42, FirstName: "Ann"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hello", Time: time.Now()}},
		Channels: []string{"sales"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "test", Limit: 10, Lease: time.Minute})
	if err != nil || len(ds) != 1 {
		t.Fatalf("claimed %d deliveries (%v), want 1", len(ds), err)
	}
	// The plugin has answered; the host records it 300 ms later.
	go func() {
		time.Sleep(300 * time.Millisecond) // the completion's commit, late on purpose
		_ = st.CompleteDelivery(ctx, ds[0].ID, "test", []byte("thread-sales"), "desk-1")
	}()
	sales := &hostService{channel: "sales", store: st, routes: router.New([]string{"sales"}).Route}
	got, err := sales.PostReply(ctx, sdk.Reply{ThreadRef: []byte("thread-sales"), ExternalID: "fast", Text: "on it"})
	if err != nil || got.ConversationID != res.Conversation.ID {
		t.Fatalf("PostReply = %+v, %v; want stored in %s", got, err, res.Conversation.ID)
	}

	// A thread that never appears is still refused, after the grace.
	start := time.Now()
	_, err = sales.PostReply(ctx, sdk.Reply{ThreadRef: []byte("thread-nowhere"), ExternalID: "lost", Text: "?"})
	if !errors.Is(err, store.ErrUnknownConversation) || !sdk.IsPermanent(err) {
		t.Errorf("PostReply to an unknown thread = %v, want a permanent unknown-conversation error", err)
	}
	if took := time.Since(start); took < unknownThreadGrace {
		t.Errorf("refused after %s, before the %s grace", took, unknownThreadGrace)
	}
}
