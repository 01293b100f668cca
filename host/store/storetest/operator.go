package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

func testBlocked(t *testing.T, e *env) {
	conv := e.commit(1, 1, []string{"slack"}, text("m1", "hi")).Conversation
	for _, blocked := range []bool{true, false, true} {
		if err := e.s.SetBlocked(e.ctx, conv.ID, blocked); err != nil {
			t.Fatal(err)
		}
		c, err := e.s.Conversation(e.ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		byChat, err := e.s.ConversationByChat(e.ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if c.Blocked != blocked || byChat.Blocked != blocked || c.SDK().Blocked != blocked {
			t.Errorf("after SetBlocked(%t) the conversation reads blocked=%t/%t", blocked, c.Blocked, byChat.Blocked)
		}
	}
	// Claimed work carries the flag, and a later update reports it.
	if d := e.claimOne("w", e.now, "m1"); !d.Conversation.Blocked {
		t.Error("a delivery of a blocked conversation does not say so")
	}
	if res := e.commit(2, 1, []string{"slack"}, text("m2", "back")); !res.Conversation.Blocked {
		t.Error("CommitInbound does not report the conversation as blocked")
	}
	mustErrorIs(t, e.s.SetBlocked(e.ctx, "c_0000000000000000", true), store.ErrNotFound, "blocking an unknown conversation")
}

func testConversationLookup(t *testing.T, e *env) {
	a := e.commitAt(e.now, 1, 1, nil).Conversation
	b := e.commitAt(e.at(time.Minute), 2, 2, nil).Conversation
	c := e.commitAt(e.at(2*time.Minute), 3, 3, nil).Conversation
	e.commitAt(e.at(3*time.Minute), 4, 1, nil) // a is active again

	list, err := e.s.Conversations(e.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range list {
		got = append(got, x.ID)
	}
	mustEqual(t, got, []string{a.ID, c.ID, b.ID}, "conversations, most recently active first")
	if list, _ := e.s.Conversations(e.ctx, 2); len(list) != 2 {
		t.Errorf("limit 2 listed %d", len(list))
	}
	_, err = e.s.Conversation(e.ctx, "c_0000000000000000")
	mustErrorIs(t, err, store.ErrNotFound, "unknown conversation id")
	_, err = e.s.ConversationByChat(e.ctx, 999)
	mustErrorIs(t, err, store.ErrNotFound, "unknown chat")
}

// queueFixture leaves, in order of creation: m1 done, m2 failed, m3
// pending on slack, m4 pending on helpscout, and reply r1 pending.
func queueFixture(t *testing.T, e *env) (failed store.Delivery) {
	t.Helper()
	// Updates in the past, so the reply (stamped by the store's clock) is
	// the newest row.
	e.commitAt(e.at(-4*time.Minute), 1, 1, []string{"slack"}, text("m1", "done"))
	e.commitAt(e.at(-3*time.Minute), 2, 1, []string{"slack"}, text("m2", "fails"))
	e.commitAt(e.at(-2*time.Minute), 3, 1, []string{"slack"}, text("m3", "waits"))
	conv := e.commitAt(e.at(-time.Minute), 4, 2, []string{"helpscout"}, text("m4", "waits")).Conversation
	e.complete(e.claimOne("w", e.now, "m1"), "w", []byte("T"), "D1")
	failed = e.claimOne("w", e.now, "m2")
	if err := e.s.FailDelivery(e.ctx, failed.ID, "w", "HTTP 400 from the desk"); err != nil {
		t.Fatal(err)
	}
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r1", Text: "hi"})
	return failed
}

func testQueue(t *testing.T, e *env) {
	failed := queueFixture(t, e)
	all, err := e.s.Queue(e.ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range all {
		got = append(got, r.Kind+":"+r.MessageID+":"+string(r.State))
	}
	mustEqual(t, got, []string{"reply:r1:pending", "delivery:m4:pending", "delivery:m3:pending", "delivery:m2:failed", "delivery:m1:done"}, "queue, newest first")
	for _, r := range all {
		if r.Kind == "reply" && (r.Channel != "slack" || r.ConversationID == "") {
			t.Errorf("reply row %+v", r)
		}
		if r.Kind == "delivery" && (r.ConversationID == "" || r.CreatedAt.IsZero()) {
			t.Errorf("delivery row %+v", r)
		}
	}

	rows, err := e.s.Queue(e.ctx, 100, store.StateFailed)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ID != failed.ID || rows[0].Channel != "slack" || rows[0].LastError != "HTTP 400 from the desk" || rows[0].Attempts != 1 {
		t.Errorf("failed rows: %+v", rows)
	}
	rows, _ = e.s.Queue(e.ctx, 100, store.StatePending, store.StateFailed)
	if len(rows) != 4 {
		t.Errorf("pending and failed rows: %d, want 4", len(rows))
	}
	rows, _ = e.s.Queue(e.ctx, 2)
	if len(rows) != 2 || rows[0].MessageID != "r1" {
		t.Errorf("limit 2: %+v", rows)
	}
}

func testRetryNow(t *testing.T, e *env) {
	failed := queueFixture(t, e)
	// m3 sits behind nothing now (m2 failed); schedule it far ahead.
	d3 := e.claimOne("w", e.now, "m3")
	if err := e.s.RetryDelivery(e.ctx, d3.ID, "w", e.at(24*time.Hour), "503"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.RetryNow(e.ctx, "delivery", failed.ID); err != nil {
		t.Fatal(err)
	}
	// The failed row is pending again with its attempts reset.
	d := e.claimOne("w", later(), "m2")
	mustEqual(t, d.Attempts, 0, "attempts after RetryNow")
	e.complete(d, "w", nil, "D2")
	if err := e.s.RetryNow(e.ctx, "delivery", d3.ID); err != nil {
		t.Fatal(err)
	}
	if d := e.claimOne("w", later(), "m3"); d.Attempts != 0 {
		t.Errorf("attempts of a retried pending row: %d", d.Attempts)
	}

	rs := e.claimReplies("w", 1, later())
	if err := e.s.FailReply(e.ctx, rs[0].ID, "w", "blocked"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.RetryNow(e.ctx, "reply", rs[0].ID); err != nil {
		t.Fatal(err)
	}
	if again := e.claimReplies("w", 1, later()); len(again) != 1 || again[0].ID != rs[0].ID {
		t.Errorf("after RetryNow claimed %+v", again)
	}

	mustErrorIs(t, e.s.RetryNow(e.ctx, "delivery", 99999), store.ErrNotFound, "retrying an unknown row")
	if err := e.s.RetryNow(e.ctx, "delivery", d.ID); err == nil {
		t.Error("retrying a done delivery succeeded")
	}
	if err := e.s.RetryNow(e.ctx, "parcel", failed.ID); err == nil {
		t.Error("retrying an unknown kind succeeded")
	}
}

func testBacklog(t *testing.T, e *env) {
	queueFixture(t, e)
	e.commitAt(e.at(-30*time.Second), 5, 3, []string{"hipchat"}, text("m5", "x"))
	for _, d := range e.claim("w", 10, e.now) {
		if d.Message.ID == "m5" {
			e.complete(d, "w", nil, "")
		}
	}
	bl, err := e.s.Backlog(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Backlog{}
	for _, b := range bl {
		got[b.Channel] = b
	}
	if b := got["slack"]; b.Pending != 1 || b.Failed != 1 || !b.OldestPending.Equal(e.at(-2*time.Minute)) {
		t.Errorf("slack backlog %+v, want 1 pending since %v and 1 failed", b, e.at(-2*time.Minute))
	}
	if b := got["helpscout"]; b.Pending != 1 || b.Failed != 0 || !b.OldestPending.Equal(e.at(-time.Minute)) {
		t.Errorf("helpscout backlog %+v", b)
	}
	if b := got["telegram"]; b.Pending != 1 || b.Failed != 0 || b.OldestPending.IsZero() {
		t.Errorf("reply backlog %+v", b)
	}
	if b := got["hipchat"]; b.Pending != 0 || b.Failed != 0 {
		t.Errorf("a channel with only done rows has backlog %+v", b)
	}
}

func testSecretOnce(t *testing.T, e *env) {
	gen := func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	}
	const callers = 16
	var wg sync.WaitGroup
	values := make([][]byte, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { values[i], errs[i] = e.s.Secret(e.ctx, "filelink", gen) })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if len(values[i]) != 32 || !bytes.Equal(values[i], values[0]) {
			t.Fatalf("caller %d got %x, caller 0 got %x: the secret was made more than once", i, values[i], values[0])
		}
	}
	again, err := e.s.Secret(e.ctx, "filelink", func() ([]byte, error) {
		t.Error("gen called for a stored secret")
		return []byte("other"), nil
	})
	if err != nil || !bytes.Equal(again, values[0]) {
		t.Errorf("stored secret read back as %x, %v", again, err)
	}
	other, err := e.s.Secret(e.ctx, "session", gen)
	if err != nil || bytes.Equal(other, values[0]) {
		t.Errorf("a second secret: %x, %v", other, err)
	}
}

func testSecretGenError(t *testing.T, e *env) {
	boom := errors.New("entropy exhausted")
	if _, err := e.s.Secret(e.ctx, "k", func() ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("a failing gen: got %v, want it wrapped", err)
	}
	v, err := e.s.Secret(e.ctx, "k", func() ([]byte, error) { return []byte("good"), nil })
	if err != nil || string(v) != "good" {
		t.Errorf("after a failed gen the secret is %q, %v; want it made by the next call", v, err)
	}
}

func testPing(t *testing.T, e *env) {
	if err := e.s.Ping(e.ctx); err != nil {
		t.Fatal(err)
	}
}
