package storetest

import (
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// testSkipChannels: a claim that skips a channel (saturated or down in
// the dispatcher) hands out the other channels' lanes, even when the
// skipped channel's lanes are older, and leaves the skipped ones alone.
func testSkipChannels(t *testing.T, e *env) {
	for i := int64(1); i <= 5; i++ {
		e.commit(i, i, []string{"slack"}, text("s"+string(rune('0'+i)), "hi"))
	}
	e.commit(6, 6, []string{"helpscout"}, text("h6", "hi"))
	e.commit(7, 7, []string{"slack", "helpscout"}, text("b7", "hi"))
	claim := func(owner string, limit int, skip ...string) []store.Delivery {
		ds, err := e.s.ClaimDeliveries(e.ctx, store.ClaimOptions{Owner: owner, Limit: limit, Lease: lease, Now: e.now, SkipChannels: skip})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	mustEqual(t, describe(claim("w1", 2, "slack")), "h6→helpscout, b7→helpscout", "a claim skipping slack")
	mustEqual(t, describe(claim("w1", 10, "slack", "helpscout")), "nothing", "a claim skipping both channels")
	mustEqual(t, len(claim("w2", 10)), 6, "slack lanes claimable by a claim without a skip list")
	if r, ok := e.s.(store.RunClaimer); ok {
		e.commit(8, 8, []string{"slack"}, text("r1", "1"), text("r2", "2"))
		e.commit(9, 9, []string{"helpscout"}, text("q1", "1"), text("q2", "2"))
		ds, err := r.ClaimDeliveryRuns(e.ctx, store.ClaimOptions{Owner: "w3", Limit: 10, Lease: lease, Now: e.now,
			SkipChannels: []string{"slack"}}, 4)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, messageIDs(ds), []string{"q1", "q2"}, "runs claimed skipping slack")
	}
}

// testRetryFailed: failed rows come back in bulk, per channel (replies
// under "telegram") or all at once, with their attempts reset; pending
// and done rows are left alone.
func testRetryFailed(t *testing.T, e *env) {
	r, ok := e.s.(store.FailedRetrier)
	if !ok {
		t.Skip("the driver does not implement store.FailedRetrier")
	}
	conv := e.threaded(1, 1, "TA")
	e.commit(2, 2, []string{"slack"}, text("s1", "x"), text("s2", "y"))
	e.commit(3, 3, []string{"helpscout"}, text("h1", "x"))
	e.commit(4, 4, []string{"slack"}, text("p1", "stays pending"))
	for _, d := range e.claim("w", 10, e.now) {
		switch d.Message.ID {
		case "s1", "h1":
			if err := e.s.FailDelivery(e.ctx, d.ID, "w", "desk down"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s2 := e.claim("w", 10, e.now); len(s2) != 1 || s2[0].Message.ID != "s2" {
		t.Fatalf("after s1 failed its lane goes on with s2, got %s", describe(s2))
	} else if err := e.s.FailDelivery(e.ctx, s2[0].ID, "w", "desk down"); err != nil {
		t.Fatal(err)
	}
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r1", Text: "answer"})
	rs := e.claimReplies("w", 10, later())
	if len(rs) != 1 {
		t.Fatalf("claimed %d replies, want 1", len(rs))
	}
	if err := e.s.FailReply(e.ctx, rs[0].ID, "w", "chat not found"); err != nil {
		t.Fatal(err)
	}

	count := func(channel string) int {
		t.Helper()
		n, err := r.RetryFailed(e.ctx, channel)
		if err != nil {
			t.Fatalf("RetryFailed(%q): %v", channel, err)
		}
		return n
	}
	mustEqual(t, count("slack"), 2, "slack rows retried")
	mustEqual(t, count("slack"), 0, "slack rows retried a second time")
	ds := e.claim("w2", 10, later())
	got := map[string]int{}
	for _, d := range ds {
		got[d.Message.ID] = d.Attempts
	}
	// s1 is its lane's head again, ahead of s2; p1 is still w's.
	mustEqual(t, got, map[string]int{"s1": 0}, "rows claimable after retrying slack (message → attempts)")
	mustEqual(t, count("telegram"), 1, "replies retried under telegram")
	if rs := e.claimReplies("w2", 10, later()); len(rs) != 1 || rs[0].Reply.ExternalID != "r1" || rs[0].Attempts != 0 {
		t.Fatalf("after retrying telegram, claimed %+v, want r1 with no attempts", rs)
	}
	mustEqual(t, count(""), 1, "the rest (helpscout) retried")
	mustEqual(t, count(""), 0, "nothing failed left")
}

// testReplyProgress: how far a reply got survives a retry, only its owner
// records it, and a fresh reply has none.
func testReplyProgress(t *testing.T, e *env) {
	p, ok := e.s.(store.ReplyProgressRecorder)
	if !ok {
		t.Skip("the driver does not implement store.ReplyProgressRecorder")
	}
	conv := e.threaded(1, 1, "TA")
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r1", Text: "long"})
	at := later()
	rs := e.claimReplies("w", 10, at)
	if len(rs) != 1 || len(rs[0].Sent) != 0 {
		t.Fatalf("a fresh reply claimed as %+v, want one with no progress", rs)
	}
	mustErrorIs(t, p.RecordReplyProgress(e.ctx, rs[0].ID, "other", []int64{1}), store.ErrLeaseLost, "progress by a worker without the lease")
	if err := p.RecordReplyProgress(e.ctx, rs[0].ID, "w", []int64{101, 0, 102}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.RetryReply(e.ctx, rs[0].ID, "w", at, "telegram 500"); err != nil {
		t.Fatal(err)
	}
	rs = e.claimReplies("w2", 10, at.Add(time.Second))
	if len(rs) != 1 {
		t.Fatalf("claimed %d replies after the retry, want 1", len(rs))
	}
	mustEqual(t, rs[0].Sent, []int64{101, 0, 102}, "progress read back by the next claim")
	if err := e.s.CompleteReply(e.ctx, rs[0].ID, "w2", []int64{101, 102, 103}); err != nil {
		t.Fatal(err)
	}
	mustErrorIs(t, p.RecordReplyProgress(e.ctx, rs[0].ID, "w2", []int64{1}), store.ErrLeaseLost, "progress on a sent reply")
}
