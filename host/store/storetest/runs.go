package storetest

import (
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
)

// runClaimer returns the store as a store.RunClaimer, skipping the test
// when the driver does not implement it.
func runClaimer(t *testing.T, e *env) store.RunClaimer {
	r, ok := e.s.(store.RunClaimer)
	if !ok {
		t.Skip("the driver does not implement store.RunClaimer")
	}
	return r
}

func (e *env) claimRuns(r store.RunClaimer, owner string, limit, run int, at time.Time) []store.Delivery {
	e.t.Helper()
	ds, err := r.ClaimDeliveryRuns(e.ctx, store.ClaimOptions{Owner: owner, Limit: limit, Lease: lease, Now: at}, run)
	if err != nil {
		e.t.Fatalf("ClaimDeliveryRuns(%s): %v", owner, err)
	}
	return ds
}

func messageIDs(ds []store.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.Message.ID
	}
	return ids
}

// testRuns: a run is a lane's head and the rows behind it, in order and
// adjacent; the limit counts lanes; the lane stays closed to others until
// the run is done, then opens with its next rows.
func testRuns(t *testing.T, e *env) {
	r := runClaimer(t, e)
	e.commit(1, 1, []string{"slack"}, text("a1", "1"), text("a2", "2"), text("a3", "3"), text("a4", "4"), text("a5", "5"))
	e.commit(2, 2, []string{"slack"}, text("b1", "1"), text("b2", "2"))
	e.commit(3, 3, []string{"slack"}, text("c1", "1"))

	ds := e.claimRuns(r, "w1", 2, 3, e.now)
	mustEqual(t, messageIDs(ds), []string{"a1", "a2", "a3", "b1", "b2"}, "runs of the two oldest lanes")
	for _, d := range ds[1:3] {
		mustEqual(t, d.Conversation.ID, ds[0].Conversation.ID, "conversation of a run's rows")
		mustEqual(t, d.Channel, "slack", "channel of a run's rows")
		mustEqual(t, d.Message.Text != "", true, "a follower's message is read")
	}
	mustEqual(t, messageIDs(e.claimRuns(r, "w2", 10, 3, e.now)), []string{"c1"}, "what w2 can claim while w1 works")

	for _, d := range ds[:3] {
		e.complete(d, "w1", []byte("thread-a"), "desk-"+d.Message.ID)
	}
	next := e.claimRuns(r, "w2", 10, 3, e.now)
	mustEqual(t, messageIDs(next), []string{"a4", "a5"}, "the lane after its first run")
	mustEqual(t, string(next[1].ThreadRef), "thread-a", "a follower's thread")
}

// testRunStopsBeforePendingEdit: an edit of a message in the same run
// waits for the original's desk id.
func testRunStopsBeforePendingEdit(t *testing.T, e *env) {
	r := runClaimer(t, e)
	edit := text("m2-e", "fixed")
	edit.EditOf = "m2"
	e.commit(1, 1, []string{"slack"}, text("m1", "1"), text("m2", "2"))
	e.commit(2, 1, []string{"slack"}, edit, text("m3", "3"))
	ds := e.claimRuns(r, "w", 10, 10, e.now)
	mustEqual(t, messageIDs(ds), []string{"m1", "m2"}, "the run before the edit")
	for _, d := range ds {
		e.complete(d, "w", nil, "desk-"+d.Message.ID)
	}
	ds = e.claimRuns(r, "w", 10, 10, e.now)
	mustEqual(t, messageIDs(ds), []string{"m2-e", "m3"}, "the run from the edit on")
	mustEqual(t, ds[0].EditOfDeskMessageID, "desk-m2", "the edit's original in the desk")

	// An edit behind the head whose original is done gets its desk id.
	for _, d := range ds {
		e.complete(d, "w", nil, "desk-"+d.Message.ID)
	}
	edit3 := text("m3-e", "fixed")
	edit3.EditOf = "m3"
	e.commit(3, 1, []string{"slack"}, text("m4", "4"), edit3)
	ds = e.claimRuns(r, "w", 10, 10, e.now)
	mustEqual(t, messageIDs(ds), []string{"m4", "m3-e"}, "a run with an edit of a delivered message")
	mustEqual(t, ds[1].EditOfDeskMessageID, "desk-m3", "a follower edit's original in the desk")
}

// testRunRelease: the rows of a run cut short go back to the lane at once,
// with their attempts unchanged; a release by another owner does nothing.
func testRunRelease(t *testing.T, e *env) {
	r := runClaimer(t, e)
	e.commit(1, 1, []string{"slack"}, text("a1", "1"), text("a2", "2"), text("a3", "3"))
	ds := e.claimRuns(r, "w1", 10, 3, e.now)
	mustEqual(t, messageIDs(ds), []string{"a1", "a2", "a3"}, "the run")
	e.complete(ds[0], "w1", nil, "desk-a1")
	if err := r.ReleaseDeliveries(e.ctx, "w2", []int64{ds[1].ID, ds[2].ID}); err != nil {
		t.Fatal(err)
	}
	e.claimNone("w2", e.now, "a2 is still w1's after w2 released it")
	if err := r.ReleaseDeliveries(e.ctx, "w1", []int64{ds[1].ID, ds[2].ID}); err != nil {
		t.Fatal(err)
	}
	got := e.claimRuns(r, "w2", 10, 3, e.now)
	mustEqual(t, messageIDs(got), []string{"a2", "a3"}, "the released rows, claimed at once")
	mustEqual(t, got[0].Attempts, 0, "attempts of a released row")
	mustErrorIs(t, e.s.CompleteDelivery(e.ctx, ds[1].ID, "w1", nil, ""), store.ErrLeaseLost, "w1 finishing a row it released")
}

// testRunAfterExpiry: when a run's head lease runs out, the whole run can
// be claimed again, and the old owner can no longer finish it.
func testRunAfterExpiry(t *testing.T, e *env) {
	r := runClaimer(t, e)
	e.commit(1, 1, []string{"slack"}, text("a1", "1"), text("a2", "2"), text("a3", "3"))
	ds := e.claimRuns(r, "w1", 10, 3, e.now)
	mustEqual(t, len(ds), 3, "rows in w1's run")
	e.claimNone("w2", e.at(lease/2), "w1's lease still runs")
	got := e.claimRuns(r, "w2", 10, 3, e.at(2*lease))
	mustEqual(t, messageIDs(got), []string{"a1", "a2", "a3"}, "the run after w1's lease ran out")
	mustErrorIs(t, e.s.CompleteDelivery(e.ctx, ds[1].ID, "w1", nil, ""), store.ErrLeaseLost, "w1 finishing a row taken over")
}
