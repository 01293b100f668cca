package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/postgres"
	"github.com/parley-dev/parley/sdk"
)

// pgDatabase creates an empty database on $PARLEY_TEST_POSTGRES_DSN's
// server, dropped when the test ends, and returns its DSN and name; it
// skips the test without a server.
func pgDatabase(t *testing.T) (dsn, name string) {
	t.Helper()
	server := os.Getenv("PARLEY_TEST_POSTGRES_DSN")
	if server == "" {
		t.Skip("set PARLEY_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run the PostgreSQL tests")
	}
	u, err := url.Parse(server)
	if err != nil || u.Scheme == "" {
		t.Skip("PARLEY_TEST_POSTGRES_DSN is not a URL")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name = "parley_app_" + hex.EncodeToString(b)
	pgExec(t, server, `CREATE DATABASE `+name)
	t.Cleanup(func() { pgExec(t, server, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	u.Path = "/" + name
	return u.String(), name
}

// pgExec runs statements on a connection of its own.
func pgExec(t *testing.T, dsn string, statements ...string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context()) // also used from Cleanup
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func openPG(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// replicaHost is the part of a host that heartbeats, on its own store.
func replicaHost(t *testing.T, st store.Store, owner string) *host {
	return &host{store: st, owner: owner, log: hclog.New(&hclog.LoggerOptions{Name: owner, Output: t.Output(), Level: hclog.Info})}
}

// beating writes h's first heartbeat, as run does before its dispatcher
// starts, then runs h's heartbeat until the returned stop is called.
func beating(t *testing.T, h *host) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	h.firstBeat(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = h.heartbeat(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return func() { cancel(); <-done }
}

// Production leases (dispatch: call timeout + 15 s for a delivery, a
// reply's longer).
const (
	testDeliveryLease = 45 * time.Second
	testReplyLease    = 135 * time.Second
)

// A replica killed while it holds deliveries and replies (it stops
// heartbeating) hands them to a live replica within seconds of its last
// heartbeat, not when its leases run out; a replica that keeps
// heartbeating keeps its own. In the 10-minute soak on PostgreSQL, lanes
// of a killed replica waited for their leases (inbound p99 55 s): the
// replica came back under a new owner name and could not take them back.
func TestDeadReplicaWorkIsTakenBackBeforeItsLeasesRunOut(t *testing.T) {
	dsn, _ := pgDatabase(t)
	dying, survivor, busy := openPG(t, dsn), openPG(t, dsn), openPG(t, dsn)
	ctx := t.Context()
	for chat := int64(1); chat <= 3; chat++ {
		_, err := survivor.CommitInbound(ctx, store.Inbound{UpdateID: chat, ChatID: chat, Channels: []string{"slack"},
			Messages: []sdk.Message{{ID: fmt.Sprintf("m%d", chat), Kind: sdk.KindText, Text: "hi"}},
			Answer:   &sdk.Reply{ExternalID: fmt.Sprintf("a%d", chat), Text: "noted"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	claim := func(s store.Store, owner string, limit int) ([]int64, []int64) {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: owner, Limit: limit, Lease: testDeliveryLease})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.ClaimReplies(ctx, store.ClaimOptions{Owner: owner, Limit: limit, Lease: testReplyLease})
		if err != nil {
			t.Fatal(err)
		}
		var dIDs, rIDs []int64
		for _, d := range ds {
			dIDs = append(dIDs, d.ID)
		}
		for _, r := range rs {
			rIDs = append(rIDs, r.ID)
		}
		return dIDs, rIDs
	}

	die := beating(t, replicaHost(t, dying, "dying"))
	beating(t, replicaHost(t, busy, "busy"))
	deadD, deadR := claim(dying, "dying", 1)
	busyD, busyR := claim(busy, "busy", 1)
	if len(deadD) != 1 || len(deadR) != 1 || len(busyD) != 1 || len(busyR) != 1 {
		t.Fatalf("claims: %v %v %v %v, want one delivery and one reply each", deadD, deadR, busyD, busyR)
	}
	die() // SIGKILL: no more heartbeats, leases still live
	died := time.Now()
	beating(t, replicaHost(t, survivor, "survivor"))

	// The leases have 45 s and 135 s to run; the work must come back well
	// before the shorter one is over.
	deadline := died.Add(testDeliveryLease - 15*time.Second)
	var gotD, gotR []int64
	for !(slices.Contains(gotD, deadD[0]) && slices.Contains(gotR, deadR[0])) {
		if time.Now().After(deadline) {
			t.Fatalf("%s after the replica died, the survivor has claimed deliveries %v and replies %v, not its delivery %d and reply %d",
				time.Since(died).Round(time.Second), gotD, gotR, deadD[0], deadR[0])
		}
		time.Sleep(200 * time.Millisecond)
		d, r := claim(survivor, "survivor", 10)
		gotD, gotR = append(gotD, d...), append(gotR, r...)
	}
	t.Logf("the dead replica's work was taken back %s after its last heartbeat", time.Since(died).Round(100*time.Millisecond))
	if slices.Contains(gotD, busyD[0]) || slices.Contains(gotR, busyR[0]) {
		t.Fatalf("the survivor took the work of a replica that is heartbeating: deliveries %v, replies %v", gotD, gotR)
	}
	if err := busy.CompleteDelivery(ctx, busyD[0], "busy", nil, "D"); err != nil {
		t.Errorf("the heartbeating replica lost its delivery: %v", err)
	}
	if err := busy.CompleteReply(ctx, busyR[0], "busy", []int64{1}); err != nil {
		t.Errorf("the heartbeating replica lost its reply: %v", err)
	}
}

// A dead poller's leadership goes to another replica within
// leadTTL+leadRenew (8 s) by its own lease, heartbeats or not.
func TestDeadPollerIsReplacedWithin8s(t *testing.T) {
	dsn, _ := pgDatabase(t)
	dead, other := openPG(t, dsn), openPG(t, dsn)
	ctx := t.Context()
	if ok, err := dead.TryLead(ctx, pollerLease, "dead", leadTTL); err != nil || !ok {
		t.Fatalf("first lead: %v %v", ok, err)
	}
	died := time.Now()
	tick := time.NewTicker(leadRenew)
	defer tick.Stop()
	for {
		ok, err := other.TryLead(ctx, pollerLease, "other", leadTTL)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		<-tick.C
	}
	if took := time.Since(died); took > leadTTL+leadRenew+time.Second {
		t.Fatalf("the poller was replaced after %s, want within %s", took, leadTTL+leadRenew)
	}
}
