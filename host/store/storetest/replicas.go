package storetest

import (
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
)

// One owner holds a leadership at a time; it renews it, and another owner
// takes over only after it ran out or was released.
func testLeadership(t *testing.T, e *env) {
	lead := func(owner string, ttl time.Duration) bool {
		t.Helper()
		ok, err := e.s.TryLead(e.ctx, "telegram-poller", owner, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !lead("a", time.Minute) {
		t.Fatal("first owner could not lead")
	}
	if lead("b", time.Minute) {
		t.Fatal("second owner took a lease that is still held")
	}
	if !lead("a", time.Minute) {
		t.Fatal("the leader could not renew")
	}
	if !lead("a", 50*time.Millisecond) {
		t.Fatal("the leader could not shorten its lease")
	}
	time.Sleep(120 * time.Millisecond)
	if !lead("b", time.Minute) {
		t.Fatal("another owner could not take over an expired lease")
	}
	if lead("a", time.Minute) {
		t.Fatal("the old leader took the lease back while it is held")
	}
	if err := e.s.ReleaseLead(e.ctx, "telegram-poller", "a"); err != nil {
		t.Fatal(err)
	}
	if lead("a", time.Minute) {
		t.Fatal("a release by a non-holder freed the lease")
	}
	if err := e.s.ReleaseLead(e.ctx, "telegram-poller", "b"); err != nil {
		t.Fatal(err)
	}
	if !lead("a", time.Minute) {
		t.Fatal("a released lease could not be taken")
	}
}

// Heartbeats list live replicas, newest first, with what they lead.
func testReplicas(t *testing.T, e *env) {
	now := time.Now()
	for _, r := range []store.Replica{
		{Owner: "r1", Hostname: "h1", PID: 10, Version: "v", StartedAt: now.Add(-time.Hour), SeenAt: now.Add(-time.Hour)},
		{Owner: "r2", Hostname: "h2", PID: 11, Version: "v", Leads: []string{"telegram-poller"}, StartedAt: now, SeenAt: now},
	} {
		if err := e.s.Heartbeat(e.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.s.Replicas(e.ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Owner != "r2" || len(got[0].Leads) != 1 || got[0].Hostname != "h2" {
		t.Fatalf("live replicas = %+v, want only r2 leading", got)
	}
	if err := e.s.Heartbeat(e.ctx, store.Replica{Owner: "r1", Hostname: "h1", PID: 10, Version: "v", SeenAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.Replicas(e.ctx, time.Minute); len(got) != 2 {
		t.Fatalf("after a fresh heartbeat %d replicas are live, want 2", len(got))
	}
}
