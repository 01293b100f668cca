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

// PostAction takes react, delete and typing: a react on the customer's
// message is queued once, one on a message the conversation does not
// have is refused for good with nothing stored, typing shows in the
// conversation's chat and is refused for a conversation of another desk.
func TestPostActionReactDeleteTyping(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conv := deliveredThrough(t, st, "sales")
	if _, err := st.CommitInbound(ctx, store.Inbound{UpdateID: 2, ChatID: 42, Channels: []string{"sales"},
		Messages: []sdk.Message{{ID: "m2", Kind: sdk.KindText, Text: "again", TelegramMessageID: 6}}}); err != nil {
		t.Fatal(err)
	}
	var typing []int64
	routes := router.New([]string{"sales"}).Route
	sales := &hostService{channel: "sales", store: st, routes: routes, typing: func(_ string, chat int64) { typing = append(typing, chat) }}
	support := &hostService{channel: "support", store: st, routes: routes, typing: func(_ string, chat int64) { typing = append(typing, chat) }}

	res, err := sales.PostAction(ctx, sdk.Action{Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "x1", MessageID: "m2", Emoji: "👍"})
	if err != nil || res.ConversationID != conv.ID || !res.Changed {
		t.Fatalf("react: %+v, %v", res, err)
	}
	if res, err := sales.PostAction(ctx, sdk.Action{Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "x1", MessageID: "m2", Emoji: "👍"}); err != nil || !res.Duplicate {
		t.Errorf("the same react again: %+v, %v; want a duplicate", res, err)
	}
	for name, a := range map[string]sdk.Action{
		"react on an unknown message": {Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "x2", MessageID: "nope", Emoji: "👍"},
		"delete of an unknown reply":  {Kind: sdk.ActionDelete, ConversationID: conv.ID, ExternalID: "x3", ReplyExternalID: "nope"},
	} {
		if _, err := sales.PostAction(ctx, a); !sdk.IsPermanent(err) || !errors.Is(err, store.ErrInvalidAction) {
			t.Errorf("%s: %v, want a permanent invalid action", name, err)
		}
	}
	// m1 has no Telegram id (a message Telegram did not send as such).
	if _, err := sales.PostAction(ctx, sdk.Action{Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "x4", MessageID: "m1", Emoji: "👍"}); !errors.Is(err, store.ErrUnknownMessage) {
		t.Errorf("react on a message without a Telegram id: %v", err)
	}
	if rows := storedReplies(t, st); len(rows) != 1 {
		t.Errorf("stored %d host rows, want the one reaction", len(rows))
	}

	if _, err := sales.PostAction(ctx, sdk.Action{Kind: sdk.ActionTyping, ThreadRef: []byte("thread-sales")}); err != nil {
		t.Fatal(err)
	}
	if _, err := support.PostAction(ctx, sdk.Action{Kind: sdk.ActionTyping, ConversationID: conv.ID}); !errors.Is(err, store.ErrUnknownConversation) {
		t.Errorf("typing in another desk's conversation: %v, want unknown conversation", err)
	}
	if !slices.Equal(typing, []int64{42}) {
		t.Errorf("typing shown in chats %v, want 42 once", typing)
	}
}
