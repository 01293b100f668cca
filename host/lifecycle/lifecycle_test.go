package lifecycle

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/sqlite"
	"github.com/parley-dev/parley/sdk"
)

func TestIdleCloserClosesOnlyIdleConversations(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{start, start.Add(2 * time.Hour)} {
		_, err := st.CommitInbound(ctx, store.Inbound{UpdateID: int64(i + 1), ChatID: int64(i + 1), Time: at,
			Messages: []sdk.Message{{ID: string(rune('a' + i)), Kind: sdk.KindText, Text: "hi", Time: at}}, Channels: []string{"desk"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	now := start.Add(3*time.Hour + time.Minute)
	var closed []int64
	c := IdleCloser{Store: st, After: 3 * time.Hour, Batch: 1, Now: func() time.Time { return now },
		Closed: func(conv store.Conversation) { closed = append(closed, conv.ChatID) }}
	if n, err := c.Sweep(ctx); err != nil || n != 1 || len(closed) != 1 || closed[0] != 1 {
		t.Fatalf("first sweep closed %d (%v), chats %v; want chat 1 only", n, err, closed)
	}
	if n, err := c.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("a second sweep at the same time closed %d (%v)", n, err)
	}
	now = now.Add(2 * time.Hour)
	if n, err := c.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("two hours later closed %d (%v), want chat 2", n, err)
	}
	conv, err := st.ConversationByChat(ctx, 2)
	if err != nil || conv.State != sdk.StateClosed || conv.CloseReason != sdk.CloseByIdle || conv.ClosedBy != ClosedBy || !conv.ClosedAt.Equal(now) {
		t.Fatalf("chat 2: %+v, %v", conv, err)
	}
}
