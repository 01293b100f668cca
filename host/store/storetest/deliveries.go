package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// rich is a message using every part of sdk.Message.
func rich(id string) sdk.Message {
	at := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	return sdk.Message{
		ID: id, Time: at, Kind: sdk.KindPhoto, Text: "look *here*",
		Entities:      []sdk.Entity{{Type: "bold", Offset: 5, Length: 6}, {Type: "text_link", Offset: 0, Length: 4, URL: "https://example.com"}},
		Attachments:   []sdk.Attachment{{Name: "cat.jpg", MIMEType: "image/jpeg", Size: 12345, FileRef: "AgAD-file", Kind: "photo", Width: 800, Height: 600}, {Name: "big.mp4", TooLarge: true, Kind: "video", DurationSeconds: 90}},
		Location:      &sdk.Location{Latitude: 52.52, Longitude: 13.405, Title: "Office", Address: "Main St 1"},
		SharedContact: &sdk.SharedContact{FirstName: "Ann", PhoneNumber: "+100", TelegramUserID: 5},
		Poll:          &sdk.Poll{Question: "Which?", Options: []string{"a", "b"}},
		Forward:       &sdk.Forward{From: "Bob", OriginalTime: at.Add(-time.Hour)},
		ReplyTo:       &sdk.Quote{MessageID: "m0", Text: "earlier", FromBot: true},
		MediaGroupID:  "album-1", StickerEmoji: "🙂", TelegramMessageID: 77,
	}
}

func testDeliveryRoundTrip(t *testing.T, e *env) {
	res := e.commit(1, 50, []string{"slack"}, rich("m1"))
	d := e.claimOne("w", e.now, "m1")
	mustEqual(t, d.Message, rich("m1"), "delivered message")
	if d.Channel != "slack" || d.Conversation.ID != res.Conversation.ID || d.Conversation.Contact != contact(50) ||
		d.Conversation.ChatID != 50 || d.Conversation.Number != 1 {
		t.Errorf("delivery carries %+v, want the conversation %+v on slack", d, res.Conversation)
	}
	if d.ThreadRef != nil || d.Attempts != 0 || d.EditOfDeskMessageID != "" || !d.CreatedAt.Equal(e.now) {
		t.Errorf("first delivery: thread %q, attempts %d, edit-of %q, created %v", d.ThreadRef, d.Attempts, d.EditOfDeskMessageID, d.CreatedAt)
	}
}

func testOneHeadPerLane(t *testing.T, e *env) {
	a := e.commit(1, 1, []string{"slack", "helpscout"}, text("a1", "1"), text("a2", "2")).Conversation
	b := e.commit(2, 2, []string{"slack"}, text("b1", "1"), text("b2", "2")).Conversation
	ds := e.claim("w", 10, e.now)
	mustEqual(t, lanes(ds), map[string]string{
		a.ID + "/slack": "a1", a.ID + "/helpscout": "a1", b.ID + "/slack": "b1",
	}, "heads claimed")
}

func testLaneOrder(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "first"), text("m2", "second"))
	e.commit(2, 1, []string{"slack"}, text("m3", "third"))
	d1 := e.claimOne("a", e.now, "m1")
	e.claimNone("b", e.now, "m2 must wait until m1 is done")
	e.claimNone("a", e.now, "the lane's head is in flight, even for its owner")
	e.complete(d1, "a", []byte("T"), "D1")
	d2 := e.claimOne("b", e.now, "m2")
	e.complete(d2, "b", nil, "D2")
	e.claimOne("a", e.now, "m3")
}

func testLanesInParallel(t *testing.T, e *env) {
	a := e.commit(1, 1, []string{"slack"}, text("a1", "1"), text("a2", "2")).Conversation
	b := e.commit(2, 2, []string{"slack"}, text("b1", "1")).Conversation
	da := e.claimOne("w1", e.now, "a1")
	db := e.claimOne("w2", e.now, "b1")
	if da.Conversation.ID != a.ID || db.Conversation.ID != b.ID {
		t.Fatalf("claimed %s and %s", da.Conversation.ID, db.Conversation.ID)
	}
	// A second channel of a busy conversation is its own lane.
	e.commit(3, 1, []string{"helpscout"}, text("a3", "3"))
	if d := e.claimOne("w3", e.now, "a3"); d.Channel != "helpscout" {
		t.Errorf("claimed a3 on %s", d.Channel)
	}
}

func testFailedDoesNotBlock(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "poison"), text("m2", "next"))
	d1 := e.claimOne("w", e.now, "m1")
	if err := e.s.FailDelivery(e.ctx, d1.ID, "w", "desk rejected the message"); err != nil {
		t.Fatal(err)
	}
	d2 := e.claimOne("w", e.now, "m2")
	e.complete(d2, "w", nil, "")
	e.claimNone("w", e.at(time.Hour), "a failed row is not retried by itself")
	rows, err := e.s.Queue(e.ctx, 10, store.StateFailed)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ID != d1.ID || rows[0].LastError != "desk rejected the message" || rows[0].Attempts != 1 {
		t.Errorf("failed rows listed: %+v", rows)
	}
}

func testLeaseExpiry(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "hi"), text("m2", "there"))
	first := e.claimOne("a", e.now, "m1")
	e.claimNone("b", e.at(lease/2), "a leased head blocks its lane for other owners")
	stolen := e.claimOne("b", e.at(lease+time.Second), "m1")
	if stolen.ID != first.ID {
		t.Fatalf("after expiry b claimed row %d, want %d", stolen.ID, first.ID)
	}
	mustErrorIs(t, e.s.CompleteDelivery(e.ctx, first.ID, "a", []byte("T"), "D"), store.ErrLeaseLost, "complete by the owner whose lease ran out")
	mustErrorIs(t, e.s.RetryDelivery(e.ctx, first.ID, "a", e.at(time.Hour), "x"), store.ErrLeaseLost, "retry by the old owner")
	mustErrorIs(t, e.s.FailDelivery(e.ctx, first.ID, "a", "x"), store.ErrLeaseLost, "fail by the old owner")
	e.complete(stolen, "b", []byte("T-b"), "D-b")
	// The old owner's attempts did not count, and its thread ref was not kept.
	d2 := e.claimOne("a", e.at(lease+2*time.Second), "m2")
	mustEqual(t, string(d2.ThreadRef), "T-b", "thread ref after the new owner completed")
}

func testOwnerFinishesAfterExpiry(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "slow desk"))
	d := e.claimOne("a", e.now, "m1")
	// Nobody claimed the row after the lease ran out: it is still a's, and
	// its finished work must count rather than be done again.
	e.complete(d, "a", nil, "D1")
	e.claimNone("b", e.at(2*lease), "a completed row is not claimed again")
}

func testFinishChecks(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "hi"))
	d := e.claimOne("a", e.now, "m1")
	mustErrorIs(t, e.s.CompleteDelivery(e.ctx, d.ID, "b", nil, ""), store.ErrLeaseLost, "complete by a worker that never held the row")
	mustErrorIs(t, e.s.CompleteDelivery(e.ctx, d.ID+1000, "a", nil, ""), store.ErrNotFound, "complete of an unknown row")
	e.complete(d, "a", nil, "D")
	mustErrorIs(t, e.s.CompleteDelivery(e.ctx, d.ID, "a", nil, ""), store.ErrLeaseLost, "a second complete of a done row")
	mustErrorIs(t, e.s.RetryDelivery(e.ctx, d.ID, "a", e.at(time.Minute), "x"), store.ErrLeaseLost, "retry of a done row")
}

func testRetrySchedule(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "hi"), text("m2", "later"))
	d := e.claimOne("w", e.now, "m1")
	if err := e.s.RetryDelivery(e.ctx, d.ID, "w", e.at(10*time.Minute), "desk answered 503"); err != nil {
		t.Fatal(err)
	}
	e.claimNone("w", e.at(5*time.Minute), "m1 is not due and m2 waits behind it")
	d = e.claimOne("other", e.at(10*time.Minute), "m1")
	mustEqual(t, d.Attempts, 1, "attempts after one retry")
	if err := e.s.RetryDelivery(e.ctx, d.ID, "other", e.at(20*time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}
	rows, err := e.s.Queue(e.ctx, 10, store.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	var row store.QueueRow
	for _, r := range rows {
		if r.ID == d.ID && r.Kind == "delivery" {
			row = r
		}
	}
	if row.Attempts != 2 || row.LastError != "timeout" || !row.NextAttemptAt.Equal(e.at(20*time.Minute)) || row.MessageID != "m1" {
		t.Errorf("queue row after two retries: %+v", row)
	}
	d = e.claimOne("w", e.at(21*time.Minute), "m1")
	mustEqual(t, d.Attempts, 2, "attempts after two retries")
}

func testThreadRef(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack", "helpscout"}, text("m1", "1"), text("m2", "2"), text("m3", "3"), text("m4", "4"))
	ds := e.claim("w", 10, e.now)
	for _, d := range ds {
		if d.ThreadRef != nil {
			t.Fatalf("first delivery to %s carries thread %q", d.Channel, d.ThreadRef)
		}
		if d.Channel == "slack" {
			e.complete(d, "w", []byte("C1/1700000000.000100"), "ts1")
		}
	}
	d := e.claimOne("w", e.now, "m2")
	mustEqual(t, d.Channel, "slack", "channel of the next ready lane")
	mustEqual(t, string(d.ThreadRef), "C1/1700000000.000100", "thread ref handed to the next delivery")
	// A completion without a thread ref keeps the lane's.
	e.complete(d, "w", nil, "ts2")
	d = e.claimOne("w", e.now, "m3")
	mustEqual(t, string(d.ThreadRef), "C1/1700000000.000100", "thread ref after a completion without one")
	// The plugin moved the conversation to a new thread: the newest wins.
	e.complete(d, "w", []byte("C1/1700000099.000100"), "ts3")
	d = e.claimOne("w", e.now, "m4")
	mustEqual(t, string(d.ThreadRef), "C1/1700000099.000100", "thread ref after the plugin returned a new one")
}

func testDeliveryEdits(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack", "helpscout"}, text("m1", "helo"))
	for _, d := range e.claim("w", 10, e.now) {
		if d.Channel == "slack" {
			e.complete(d, "w", []byte("T"), "slack-ts-1")
		} else if err := e.s.FailDelivery(e.ctx, d.ID, "w", "rejected"); err != nil {
			t.Fatal(err)
		}
	}
	edit := text("m1-e1", "hello")
	edit.EditOf = "m1"
	e.commit(2, 1, []string{"slack", "helpscout"}, edit)
	got := map[string]string{}
	for _, d := range e.claim("w", 10, e.now) {
		if d.Message.ID != "m1-e1" || d.Message.EditOf != "m1" {
			t.Fatalf("claimed %+v, want the edit", d.Message)
		}
		got[d.Channel] = d.EditOfDeskMessageID
	}
	mustEqual(t, got, map[string]string{"slack": "slack-ts-1", "helpscout": ""}, "desk ids of the edited message per channel")
}

func testNotices(t *testing.T, e *env) {
	conv := e.commit(1, 1, []string{"slack"}, text("m1", "hi")).Conversation
	e.claimOne("w", e.now, "m1") // slack's lane is busy
	n := sdk.Notice{Code: sdk.NoticeReplyFailed, Text: "This reply could not be sent", ReplyExternalID: "r-9"}
	if err := e.s.EnqueueNotice(e.ctx, conv.ID, n, []string{"slack", "helpscout"}); err != nil {
		t.Fatal(err)
	}
	ds := e.claim("w", 10, later())
	if len(ds) != 1 || ds[0].Channel != "helpscout" {
		t.Fatalf("claimed %s, want the notice on helpscout only (slack's lane is busy)", describe(ds))
	}
	m := ds[0].Message
	if m.Kind != sdk.KindNotice || m.Notice == nil || !reflect.DeepEqual(*m.Notice, n) || m.ID == "" || m.ID == "m1" || m.Text == "" {
		t.Errorf("notice delivered as %+v", m)
	}
	if ds[0].Conversation.ID != conv.ID {
		t.Errorf("notice delivered to conversation %s, want %s", ds[0].Conversation.ID, conv.ID)
	}

	err := e.s.EnqueueNotice(e.ctx, "c_does_not_exist", n, []string{"helpscout"})
	mustErrorIs(t, err, store.ErrNotFound, "notice to an unknown conversation")
}

func testClaimOptions(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("a1", "1"))
	e.commit(2, 2, []string{"slack"}, text("b1", "1"))
	e.commit(3, 3, []string{"slack"}, text("c1", "1"))
	if ds := e.claim("w", 0, e.now); len(ds) != 0 {
		t.Errorf("limit 0 claimed %s", describe(ds))
	}
	// The oldest lanes are served first.
	if ds := e.claim("w", 2, e.now); len(ds) != 2 || ds[0].Message.ID != "a1" || ds[1].Message.ID != "b1" {
		t.Errorf("limit 2 claimed %s, want a1, b1", describe(ds))
	}
	if _, err := e.s.ClaimDeliveries(e.ctx, store.ClaimOptions{Limit: 1, Lease: lease, Now: e.now}); err == nil {
		t.Error("a claim without an owner succeeded")
	}
	// Now defaults to the wall clock: rows stamped at e.now are due.
	ds, err := e.s.ClaimDeliveries(e.ctx, store.ClaimOptions{Owner: "w", Limit: 5, Lease: lease})
	if err != nil || len(ds) != 1 || ds[0].Message.ID != "c1" {
		t.Errorf("claim on the wall clock: %s, %v", describe(ds), err)
	}
}
