package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

// The production margin (host/app reclaimAfter); the tests backdate
// heartbeats rather than wait for it.
const testSilence = 15 * time.Second

// Production leases: a delivery's (call timeout + 15 s) and a reply's.
const (
	deliveryLease = 45 * time.Second
	replyLease    = 135 * time.Second
)

// queueWork commits one message per chat, each to slack with a welcome
// answer, so every chat has a delivery lane and a reply lane.
func queueWork(t *testing.T, s *Store, chats ...int64) {
	t.Helper()
	for _, chat := range chats {
		_, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: chat, ChatID: chat, Channels: []string{"slack"},
			Messages: []sdk.Message{{ID: fmt.Sprintf("m%d", chat), Kind: sdk.KindText, Text: "hi"}},
			Answer:   &sdk.Reply{ExternalID: fmt.Sprintf("a%d", chat), Text: "noted"}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// beat records a heartbeat of owner as last seen ago.
func beat(t *testing.T, s *Store, owner string, ago time.Duration) {
	t.Helper()
	if err := s.Heartbeat(t.Context(), store.Replica{Owner: owner, Hostname: "h", PID: 1, Version: "v",
		StartedAt: time.Now().Add(-time.Hour), SeenAt: time.Now().Add(-ago)}); err != nil {
		t.Fatal(err)
	}
}

// claimBoth claims up to limit deliveries and replies with production
// leases.
func claimBoth(t *testing.T, s *Store, owner string, limit int) ([]store.Delivery, []store.OutgoingReply) {
	t.Helper()
	ds, err := s.ClaimDeliveries(t.Context(), store.ClaimOptions{Owner: owner, Limit: limit, Lease: deliveryLease})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.ClaimReplies(t.Context(), store.ClaimOptions{Owner: owner, Limit: limit, Lease: replyLease})
	if err != nil {
		t.Fatal(err)
	}
	return ds, rs
}

func reclaim(t *testing.T, s *Store) Reclaimed {
	t.Helper()
	r, err := s.ReclaimDeadLeases(t.Context(), testSilence)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A replica that stopped heartbeating loses its deliveries and replies to a
// live replica at the next sweep, long before its leases run out; a
// replica that heartbeats, even one a few beats late, keeps its own; the
// dead replica's late answer is refused once the row was claimed again.
func TestReclaimDeadReplicaLeases(t *testing.T) {
	db := newDatabase(t)
	dead, live, late, other := open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})
	queueWork(t, live, 1, 2, 3)

	beat(t, dead, "dead", time.Minute)
	beat(t, late, "late", 10*time.Second) // within the margin: slow, not dead
	beat(t, live, "live", 0)
	deadDs, deadRs := claimBoth(t, dead, "dead", 1)
	lateDs, lateRs := claimBoth(t, late, "late", 1)
	if len(deadDs) != 1 || len(deadRs) != 1 || len(lateDs) != 1 || len(lateRs) != 1 {
		t.Fatalf("claims: dead %d+%d, late %d+%d, want one delivery and one reply each", len(deadDs), len(deadRs), len(lateDs), len(lateRs))
	}

	got := reclaim(t, other)
	if !slices.Equal(got.Replicas, []string{"dead"}) || got.Deliveries != 1 || got.Replies != 1 {
		t.Fatalf("reclaimed %+v, want the dead replica's one delivery and one reply", got)
	}
	ds, rs := claimBoth(t, live, "live", 10)
	var dIDs, rIDs []int64
	for _, d := range ds {
		dIDs = append(dIDs, d.ID)
	}
	for _, r := range rs {
		rIDs = append(rIDs, r.ID)
	}
	// Chat 3's rows were never claimed; chat 1's were the dead replica's.
	if len(ds) != 2 || !slices.Contains(dIDs, deadDs[0].ID) || slices.Contains(dIDs, lateDs[0].ID) {
		t.Fatalf("the live replica claimed deliveries %v; want the dead replica's %d and chat 3's, not the late replica's %d",
			dIDs, deadDs[0].ID, lateDs[0].ID)
	}
	if len(rs) != 2 || !slices.Contains(rIDs, deadRs[0].ID) || slices.Contains(rIDs, lateRs[0].ID) {
		t.Fatalf("the live replica claimed replies %v; want the dead replica's %d and chat 3's, not the late replica's %d",
			rIDs, deadRs[0].ID, lateRs[0].ID)
	}
	if err := late.CompleteDelivery(t.Context(), lateDs[0].ID, "late", nil, "D"); err != nil {
		t.Errorf("the late replica lost its delivery: %v", err)
	}
	if err := late.CompleteReply(t.Context(), lateRs[0].ID, "late", []int64{1}); err != nil {
		t.Errorf("the late replica lost its reply: %v", err)
	}
	if err := dead.CompleteDelivery(t.Context(), deadDs[0].ID, "dead", nil, "D"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the dead replica's late completion: %v, want ErrLeaseLost", err)
	}
	if got := reclaim(t, other); len(got.Replicas) != 0 {
		t.Errorf("a second sweep found %v dead again", got.Replicas)
	}
	replicas, err := other.Replicas(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range replicas {
		if r.Owner == "dead" {
			t.Error("the dead replica is still listed")
		}
	}
}

// A replica taken for dead that was only slow still finishes a row nobody
// claimed meanwhile (the cut lease keeps its owner), and heartbeats again.
func TestReclaimedSlowReplicaStillFinishes(t *testing.T) {
	db := newDatabase(t)
	slow, other := open(t, db, Options{}), open(t, db, Options{})
	queueWork(t, slow, 1)
	beat(t, slow, "slow", time.Minute)
	ds, rs := claimBoth(t, slow, "slow", 1)
	if got := reclaim(t, other); got.Deliveries != 1 || got.Replies != 1 {
		t.Fatalf("reclaimed %+v", got)
	}
	if err := slow.CompleteDelivery(t.Context(), ds[0].ID, "slow", nil, "D"); err != nil {
		t.Errorf("completing an unclaimed row after the sweep: %v", err)
	}
	if err := slow.CompleteReply(t.Context(), rs[0].ID, "slow", []int64{1}); err != nil {
		t.Errorf("completing an unclaimed reply after the sweep: %v", err)
	}
	beat(t, slow, "slow", 0)
	if replicas, err := other.Replicas(t.Context(), time.Minute); err != nil || len(replicas) != 1 {
		t.Errorf("after a new heartbeat the replica is listed %v (%v), want once", replicas, err)
	}
}

// Every replica sweeps: several at once over several dead replicas cut
// each lease once, without errors (no deadlock, no lock wait failure).
func TestReclaimConcurrentSweepers(t *testing.T) {
	db := newDatabase(t)
	sweepers := []*Store{open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})}
	const deadReplicas, chatsEach = 4, 10
	var chats []int64
	for i := range deadReplicas * chatsEach {
		chats = append(chats, int64(i+1))
	}
	queueWork(t, sweepers[0], chats...)
	for i := range deadReplicas {
		owner := fmt.Sprintf("dead-%d", i)
		beat(t, sweepers[0], owner, time.Minute)
		if ds, rs := claimBoth(t, sweepers[0], owner, chatsEach); len(ds) != chatsEach || len(rs) != chatsEach {
			t.Fatalf("%s claimed %d+%d", owner, len(ds), len(rs))
		}
	}
	var (
		mu    sync.Mutex
		total Reclaimed
		wg    sync.WaitGroup
	)
	for _, s := range sweepers {
		for range 3 {
			wg.Go(func() {
				r, err := s.ReclaimDeadLeases(t.Context(), testSilence)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total.Replicas = append(total.Replicas, r.Replicas...)
				total.Deliveries += r.Deliveries
				total.Replies += r.Replies
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if total.Deliveries != deadReplicas*chatsEach || total.Replies != deadReplicas*chatsEach || len(total.Replicas) != deadReplicas {
		t.Fatalf("sweepers reclaimed %d replicas, %d deliveries, %d replies; want %d, %d, %d",
			len(total.Replicas), total.Deliveries, total.Replies, deadReplicas, deadReplicas*chatsEach, deadReplicas*chatsEach)
	}
	if ds, rs := claimBoth(t, sweepers[1], "live", 1000); len(ds) != len(chats) || len(rs) != len(chats) {
		t.Fatalf("after the sweep a live replica claimed %d+%d rows, want %d+%d", len(ds), len(rs), len(chats), len(chats))
	}
}

// A replica stopping gracefully hands its work over at once: the rows it
// still holds, its poller leadership and its heartbeat row.
func TestRetireReplica(t *testing.T) {
	db := newDatabase(t)
	stopping, other := open(t, db, Options{}), open(t, db, Options{})
	queueWork(t, stopping, 1)
	beat(t, stopping, "stopping", 0)
	if ok, err := stopping.TryLead(t.Context(), "telegram-poller", "stopping", time.Minute); err != nil || !ok {
		t.Fatalf("lead: %v %v", ok, err)
	}
	ds, rs := claimBoth(t, stopping, "stopping", 1)
	if len(ds) != 1 || len(rs) != 1 {
		t.Fatalf("claimed %d+%d", len(ds), len(rs))
	}
	if err := stopping.RetireReplica(t.Context(), "stopping"); err != nil {
		t.Fatal(err)
	}
	if ds2, rs2 := claimBoth(t, other, "other", 10); len(ds2) != 1 || len(rs2) != 1 || ds2[0].ID != ds[0].ID || rs2[0].ID != rs[0].ID {
		t.Fatalf("after the stop another replica claimed %d+%d rows, want the stopped one's delivery and reply", len(ds2), len(rs2))
	}
	if ok, err := other.TryLead(t.Context(), "telegram-poller", "other", time.Minute); err != nil || !ok {
		t.Errorf("the stopped replica's leadership: taken over %v, %v; want at once", ok, err)
	}
	if replicas, err := other.Replicas(t.Context(), time.Hour); err != nil || len(replicas) != 0 {
		t.Errorf("replicas listed after the stop: %v, %v", replicas, err)
	}
}

// A worker finishing rows on a connection the database just ended
// (pg_terminate_backend: 57P01, as in the soak's database restarts) still
// records them: the store tries again on a fresh connection. Left failed,
// the rows stayed leased to a live replica until their leases ran out (a
// reply waited 121 s in the 10-minute soak) and then went out twice.
func TestFinishSurvivesATerminatedConnection(t *testing.T) {
	db := newDatabase(t)
	name := strings.TrimPrefix(must(url.Parse(db)).Path, "/")
	s := open(t, db, Options{MaxConns: 1}) // one connection: the one terminated
	admin, err := pgx.Connect(t.Context(), serverDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.WithoutCancel(t.Context()))
	queueWork(t, s, 1, 2)
	// terminate ends the store's connection and waits until its backend is
	// gone, so the store's next statement meets a closed connection (the
	// pool checks only connections idle for over a second).
	terminate := func() {
		t.Helper()
		if err := s.Ping(t.Context()); err != nil { // the pool holds a live connection
			t.Fatal(err)
		}
		if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
			t.Fatal(err)
		}
		testwait.For(t, "every backend of the test database is gone", func() bool {
			var n int
			if err := admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 0
		})
	}
	steps := []struct {
		what string
		do   func(ds []store.Delivery, rs []store.OutgoingReply) error
	}{
		{"complete a reply", func(_ []store.Delivery, rs []store.OutgoingReply) error {
			return s.CompleteReply(t.Context(), rs[0].ID, "w", []int64{7})
		}},
		{"complete a delivery", func(ds []store.Delivery, _ []store.OutgoingReply) error {
			return s.CompleteDelivery(t.Context(), ds[0].ID, "w", nil, "D")
		}},
		{"schedule a retry of a reply", func(_ []store.Delivery, rs []store.OutgoingReply) error {
			return s.RetryReply(t.Context(), rs[1].ID, "w", time.Now(), "x")
		}},
		{"fail a delivery", func(ds []store.Delivery, _ []store.OutgoingReply) error {
			return s.FailDelivery(t.Context(), ds[1].ID, "w", "x")
		}},
	}
	ds, rs := claimBoth(t, s, "w", 2)
	if len(ds) != 2 || len(rs) != 2 {
		t.Fatalf("claimed %d+%d", len(ds), len(rs))
	}
	for _, step := range steps {
		terminate()
		if err := step.do(ds, rs); err != nil {
			t.Errorf("%s on a terminated connection: %v", step.what, err)
		}
	}
	// Nothing is left leased: the retried reply is claimable again now.
	if ds, rs := claimBoth(t, s, "w2", 10); len(ds) != 0 || len(rs) != 1 || rs[0].Reply.ExternalID != "a2" {
		t.Errorf("afterwards %d deliveries and %d replies are claimable, want only the retried reply", len(ds), len(rs))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
