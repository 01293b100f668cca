package app

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parley-dev/parley/host/router"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/sqlite"
	"github.com/parley-dev/parley/sdk"
)

// Host.PostAction with ActionTransfer: a channel the conversation is in
// moves it to enabled channels, once per action id (a retry after the
// move still answers Duplicate); a channel it is not in, unknown
// channels, no channel and no id are refused for good.
func TestPostActionTransfer(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conv := deliveredThrough(t, st, "sales")
	enabled := []string{"sales", "support"}
	routes := router.New(enabled).Route
	woken := 0
	svc := func(ch string) *hostService {
		return &hostService{channel: ch, store: st, routes: routes, channels: func() []string { return enabled }, notify: func() { woken++ }}
	}
	for name, a := range map[string]sdk.Action{
		"no id":           {Kind: sdk.ActionTransfer, ConversationID: conv.ID, Channels: []string{"support"}},
		"no channel":      {Kind: sdk.ActionTransfer, ConversationID: conv.ID, ExternalID: "t0"},
		"unknown channel": {Kind: sdk.ActionTransfer, ConversationID: conv.ID, ExternalID: "t0", Channels: []string{"nowhere"}},
	} {
		if _, err := svc("sales").PostAction(ctx, a); !sdk.IsPermanent(err) || !errors.Is(err, store.ErrInvalidAction) {
			t.Errorf("%s: %v, want a permanent invalid-action error", name, err)
		}
	}
	if _, err := svc("support").PostAction(ctx, sdk.Action{Kind: sdk.ActionTransfer, ConversationID: conv.ID, ExternalID: "t1",
		Channels: []string{"support"}}); !sdk.IsPermanent(err) || !errors.Is(err, store.ErrUnknownConversation) {
		t.Errorf("a transfer by a channel the conversation is not in: %v", err)
	}
	a := sdk.Action{Kind: sdk.ActionTransfer, ThreadRef: []byte("thread-sales"), ExternalID: "t2", Agent: "Bo", Channels: []string{"support"}}
	res, err := svc("sales").PostAction(ctx, a)
	if err != nil || res.Duplicate || !res.Changed || res.ConversationID != conv.ID || woken != 1 {
		t.Fatalf("transfer: %+v, %v (woken %d)", res, err, woken)
	}
	if res, err := svc("sales").PostAction(ctx, a); err != nil || !res.Duplicate || woken != 1 {
		t.Fatalf("repeat: %+v, %v (woken %d)", res, err, woken)
	}
	c, err := st.Conversation(ctx, conv.ID)
	if err != nil || !slices.Equal(routes(c), []string{"support"}) {
		t.Fatalf("after the transfer the conversation routes to %v (%v)", routes(c), err)
	}
}
