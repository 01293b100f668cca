package postgres

import (
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// skewed is a replica clock off by d.
func skewed(d time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(d) }
}

// Two replicas whose clocks are 20 minutes apart share one database: a
// lease either of them takes holds for the other for its whole length,
// because every lease is stamped and judged by the database's clock. With
// replica clocks, the slow replica's one-minute lease was already 9
// minutes over for the fast one, which delivered the same message again;
// and a reply the fast replica stored waited 10 minutes to be due.
func TestLeasesUseTheDatabaseClock(t *testing.T) {
	db := newDatabase(t)
	slow := open(t, db, Options{Now: skewed(-10 * time.Minute)})
	fast := open(t, db, Options{Now: skewed(10 * time.Minute)})
	ctx := t.Context()
	for i, ch := range []int64{1, 2} {
		_, err := slow.CommitInbound(ctx, store.Inbound{UpdateID: int64(i + 1), ChatID: ch, Channels: []string{"slack"},
			Messages: []sdk.Message{{ID: "m" + string(rune('1'+i)), Kind: sdk.KindText, Text: "hi"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fast.CommitReplies(ctx, "slack", []sdk.Reply{{ExternalID: "r1", ConversationID: mustConv(t, fast, 1), Text: "hello"}}); err != nil {
		t.Fatal(err)
	}
	claim := func(s *Store, owner string) ([]store.Delivery, []store.OutgoingReply) {
		t.Helper()
		opt := store.ClaimOptions{Owner: owner, Limit: 10, Lease: time.Minute}
		ds, err := s.ClaimDeliveryRuns(ctx, opt, 4)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.ClaimReplies(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		return ds, rs
	}
	// The slow replica claims everything, the fast one must get nothing.
	ds, rs := claim(slow, "slow")
	if len(ds) != 2 || len(rs) != 1 {
		t.Fatalf("the slow replica claimed %d deliveries and %d replies, want 2 and 1 (clock skew made rows not yet due?)", len(ds), len(rs))
	}
	if ds, rs := claim(fast, "fast"); len(ds)+len(rs) != 0 {
		t.Fatalf("the fast replica took over %d deliveries and %d replies whose leases are live: they would be sent twice", len(ds), len(rs))
	}
	if err := slow.CompleteDelivery(ctx, ds[0].ID, "slow", nil, "D1"); err != nil {
		t.Fatalf("the slow replica lost its live lease: %v", err)
	}

	// Leadership: the slow replica leads; the fast one must not take over a
	// lease that has most of its minute left.
	if ok, err := slow.TryLead(ctx, "telegram-poller", "slow", time.Minute); err != nil || !ok {
		t.Fatalf("the slow replica could not lead: %v", err)
	}
	if ok, err := fast.TryLead(ctx, "telegram-poller", "fast", time.Minute); err != nil || ok {
		t.Fatalf("the fast replica took the leadership the slow one holds (ok=%v, err=%v)", ok, err)
	}
	if err := slow.ReleaseLead(ctx, "telegram-poller", "slow"); err != nil {
		t.Fatal(err)
	}
	if ok, err := fast.TryLead(ctx, "telegram-poller", "fast", time.Minute); err != nil || !ok {
		t.Fatalf("the fast replica could not lead: %v", err)
	}
	if ok, err := slow.TryLead(ctx, "telegram-poller", "slow", time.Minute); err != nil || ok {
		t.Fatalf("the slow replica took the leadership the fast one holds (ok=%v, err=%v)", ok, err)
	}

	// Heartbeats: a replica that just reported in is live for the other,
	// whichever clock each one has.
	for _, s := range []*Store{slow, fast} {
		owner := "slow"
		if s == fast {
			owner = "fast"
		}
		if err := s.Heartbeat(ctx, store.Replica{Owner: owner, Hostname: owner, PID: 1, Version: "v",
			StartedAt: s.clock(), SeenAt: s.clock()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*Store{slow, fast} {
		if got, err := s.Replicas(ctx, time.Minute); err != nil || len(got) != 2 {
			t.Fatalf("replicas seen within a minute: %d (%v), want both", len(got), err)
		}
	}
}

func mustConv(t *testing.T, s *Store, chat int64) string {
	t.Helper()
	c, err := s.ConversationByChat(t.Context(), chat)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
