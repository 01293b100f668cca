package pluginhost

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// PostAction spends the channel's PostReply budget: a plugin cannot flood
// the store with actions either.
func TestPostActionSharesTheRateLimit(t *testing.T) {
	rec := plugintest.NewRecordingHost()
	h := newLimitedHost(rec, "support", 0.001, 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := h.PostReply(ctx, sdk.Reply{ConversationID: "c", ExternalID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.PostAction(ctx, sdk.Action{Kind: sdk.ActionClose, ConversationID: "c", ExternalID: "a1"}); err != nil {
		t.Fatal(err)
	}
	_, err := h.PostAction(ctx, sdk.Action{Kind: sdk.ActionClose, ConversationID: "c", ExternalID: "a2"})
	if !errors.Is(err, pluginclient.ErrRateLimited) {
		t.Fatalf("third call in the burst of 2: %v, want rate limited", err)
	}
	if d, ok := sdk.RetryHint(err); !ok || d <= 0 {
		t.Errorf("no retry hint: %v %v", d, ok)
	}
	if n := len(rec.Actions()); n != 1 {
		t.Errorf("the host got %d actions, want 1", n)
	}
}
