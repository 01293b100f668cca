package storetest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// Crasher makes a driver's store fail part way through an erasure: after
// it deleted rows and before it queued the notice, in the same transaction.
// It returns the function that repairs the store.
type Crasher func(t *testing.T, s store.Store) (repair func())

// RunLifetime runs the retention and erasure subtests (store.Lifetime) on
// fresh stores; crash simulates a failure half way through an erasure.
func RunLifetime(t *testing.T, open Opener, crash Crasher) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Retention/OnlyFinishedOldRows", testPurgeFinished},
		{"Retention/Batches", testPurgeBatches},
		{"Forget/ErasesAndTellsDesks", testForget},
		{"Forget/UnknownUser", testForgetUnknown},
		{"Forget/CrashHalfWay", func(t *testing.T, e *env) { testForgetCrash(t, e, crash) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, &env{t: t, ctx: t.Context(), s: open(t), now: time.Now().UTC().Truncate(time.Second)})
		})
	}
}

const day = 24 * time.Hour

// queued lists the message (delivery) and external (reply) ids of every
// row in the queue, with their states.
func (e *env) queued() map[string]store.State {
	e.t.Helper()
	rows, err := e.s.Queue(e.ctx, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]store.State{}
	for _, r := range rows {
		m[r.Kind+":"+r.Channel+":"+r.MessageID] = r.State
	}
	return m
}

func (e *env) purge(before time.Time, limit int) store.Purged {
	e.t.Helper()
	p, err := e.s.PurgeFinished(e.ctx, before, limit)
	if err != nil {
		e.t.Fatalf("PurgeFinished: %v", err)
	}
	return p
}

// Only rows older than the cut-off that are finished (delivered, sent) go;
// pending and failed ones stay whatever their age, and the conversation's
// thread still routes replies.
func testPurgeFinished(t *testing.T, e *env) {
	old := e.at(-100 * day)
	e.commit(1, 2, []string{"slack"}, text("new-done", "4"))
	e.complete(e.claimOne("w", e.now, "new-done"), "w", []byte("T2"), "D2")
	conv := e.commitAt(old, 2, 1, []string{"slack"}, text("old-done", "1"), text("old-failed", "2"), text("old-pending", "3")).Conversation
	d := e.claimOne("w", e.now, "old-done")
	e.complete(d, "w", []byte("T1"), "D1")
	d = e.claimOne("w", e.now, "old-failed")
	if err := e.s.FailDelivery(e.ctx, d.ID, "w", "rejected"); err != nil {
		t.Fatal(err)
	}
	// Replies: one sent, one failed, one pending (the store stamps their
	// time itself, so they are "new").
	e.commitReplies("slack",
		sdk.Reply{ConversationID: conv.ID, ExternalID: "r-sent", Text: "a"},
		sdk.Reply{ConversationID: conv.ID, ExternalID: "r-failed", Text: "b"},
		sdk.Reply{ConversationID: conv.ID, ExternalID: "r-pending", Text: "c"})
	r := e.claimReplies("w", 1, later())[0]
	if err := e.s.CompleteReply(e.ctx, r.ID, "w", []int64{1}); err != nil {
		t.Fatal(err)
	}
	r = e.claimReplies("w", 1, later())[0]
	if err := e.s.FailReply(e.ctx, r.ID, "w", "blocked"); err != nil {
		t.Fatal(err)
	}

	before := e.queued()
	got := e.purge(e.at(-90*day), 500)
	mustEqual(t, got, store.Purged{Messages: 1}, "purged at a 90-day cut-off")
	after := e.queued()
	delete(before, "delivery:slack:old-done")
	mustEqual(t, after, before, "queue after the purge (only old-done gone)")

	// A cut-off of now takes the sent reply and the new delivered message.
	got = e.purge(later(), 500)
	mustEqual(t, got, store.Purged{Messages: 1, Replies: 1}, "purged at a cut-off of now")
	mustEqual(t, e.queued(), map[string]store.State{
		"delivery:slack:old-failed": store.StateFailed, "delivery:slack:old-pending": store.StatePending,
		"reply:slack:r-failed": store.StateFailed, "reply:slack:r-pending": store.StatePending,
	}, "queue after purging everything finished")
	mustEqual(t, e.purge(later(), 500), store.Purged{}, "a second purge")

	// Conversations and thread references stay: a reply to the old thread
	// routes, and the conversation keeps its contact.
	res := e.commitReplies("slack", sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "r-late", Text: "still here?"})
	mustEqual(t, res[0].ConversationID, conv.ID, "reply to a purged message's thread")
	c, err := e.s.Conversation(e.ctx, conv.ID)
	if err != nil || c.Contact != contact(1) {
		t.Fatalf("conversation after the purge: %+v, %v", c, err)
	}
	// The pending message still goes out, in order.
	e.claimOne("w", e.now, "old-pending")
}

// A purge deletes at most limit rows of each kind per call.
func testPurgeBatches(t *testing.T, e *env) {
	old := e.at(-100 * day)
	var ids []string
	for i := range 5 {
		id := "m" + string(rune('a'+i))
		ids = append(ids, id)
		e.commitAt(old, int64(i+1), int64(i+1), []string{"slack"}, text(id, "x"))
	}
	for _, d := range e.claim("w", 10, e.now) {
		e.complete(d, "w", nil, "")
	}
	var counts []int
	for range 4 {
		counts = append(counts, e.purge(e.now, 2).Messages)
	}
	mustEqual(t, counts, []int{2, 2, 1, 0}, "messages purged per batch of 2")
	if q := e.queued(); len(q) != 0 {
		t.Fatalf("after the batches the queue holds %v", q)
	}
}

var erased = sdk.Notice{Code: sdk.NoticeDataErased, Text: "The customer's data was deleted from Parley at the operator's request. Your desk keeps its own copy."}

// forgetData commits user 50's conversation: a message delivered to slack
// (a thread), one pending to slack and helpscout, a sent and a pending
// reply; and user 60's conversation, which must stay untouched.
func (e *env) forgetData() (user50, user60 store.Conversation) {
	e.t.Helper()
	c := contact(50)
	c.PhotoURL = "https://parley.example/files/photo-token"
	payload := "ref-campaign"
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: 1, ChatID: 50, Contact: c, StartPayload: &payload,
		Messages: []sdk.Message{text("u50-a", "my address is Main St 1")}, Channels: []string{"slack"}, Time: e.now})
	if err != nil {
		e.t.Fatal(err)
	}
	user50 = res.Conversation
	e.complete(e.claimOne("w", e.now, "u50-a"), "w", []byte("T50"), "D50")
	photo := text("u50-b", "")
	photo.Kind, photo.Attachments = sdk.KindPhoto, []sdk.Attachment{{FileRef: "AgAD-secret-file", Kind: "photo"}}
	e.commit(2, 50, []string{"slack", "helpscout"}, photo)
	user60 = e.commit(3, 60, []string{"slack"}, text("u60-a", "keep me")).Conversation
	e.commitReplies("slack", sdk.Reply{ThreadRef: []byte("T50"), ExternalID: "r50-sent", Text: "hello"},
		sdk.Reply{ThreadRef: []byte("T50"), ExternalID: "r50-pending", Text: "anything else?"})
	r := e.claimReplies("w", 1, later())[0]
	if err := e.s.CompleteReply(e.ctx, r.ID, "w", []int64{9}); err != nil {
		e.t.Fatal(err)
	}
	return user50, user60
}

func (e *env) forget(user int64) store.Forgotten {
	e.t.Helper()
	f, err := e.s.ForgetTelegramUser(e.ctx, user, erased)
	if err != nil {
		e.t.Fatalf("ForgetTelegramUser(%d): %v", user, err)
	}
	return f
}

// noticesOnly fails unless user 50's rows in the queue are exactly one
// erasure notice per channel, and user 60's message is still there.
func (e *env) noticesOnly(why string) {
	e.t.Helper()
	notices := 0
	for k := range e.queued() {
		switch {
		case strings.HasPrefix(k, "delivery:slack:nf_"), strings.HasPrefix(k, "delivery:helpscout:nf_"):
			notices++
		case k == "delivery:slack:u60-a":
		default:
			e.t.Errorf("%s: the queue still holds %s", why, k)
		}
	}
	if notices != 2 {
		e.t.Errorf("%s: %d erasure notices queued, want one to slack and one to helpscout", why, notices)
	}
}

func testForget(t *testing.T, e *env) {
	u50, u60 := e.forgetData()
	// The customer's profile photo is contact data too.
	if err := e.s.SetContactPhoto(e.ctx, u50.ID, "photo-of-50"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetContactPhoto(e.ctx, u60.ID, "photo-of-60"); err != nil {
		t.Fatal(err)
	}
	f := e.forget(50)
	mustEqual(t, f, store.Forgotten{Conversations: 1, Erased: 1, Messages: 2, Replies: 2, Notified: []string{"helpscout", "slack"}}, "first erasure")
	e.noticesOnly("after the erasure")

	c, err := e.s.Conversation(e.ctx, u50.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Contact != (sdk.Contact{TelegramUserID: 50}) || c.StartPayload != "" || c.ChatID != 50 || c.Number != u50.Number {
		t.Errorf("conversation after the erasure: %+v", c)
	}
	if c.PhotoRef != "" && c.PhotoRef != store.NoPhoto {
		t.Errorf("the profile photo survived the erasure: %q", c.PhotoRef)
	}
	if c, _ := e.s.Conversation(e.ctx, u60.ID); c.Contact != contact(60) || c.PhotoRef != "photo-of-60" {
		t.Errorf("another user's contact changed: %+v, photo %q", c.Contact, c.PhotoRef)
	}

	// The desks get the notice, in the thread they know, with no contact.
	ds := e.claim("w", 10, later())
	byChannel := map[string]store.Delivery{}
	for _, d := range ds {
		if d.Conversation.ID == u50.ID {
			byChannel[d.Channel] = d
		}
	}
	for _, ch := range []string{"slack", "helpscout"} {
		d, ok := byChannel[ch]
		if !ok {
			t.Fatalf("no erasure notice claimed for %s (claimed %s)", ch, describe(ds))
		}
		if d.Message.Kind != sdk.KindNotice || d.Message.Notice == nil || !reflect.DeepEqual(*d.Message.Notice, erased) || d.Message.Text != erased.Text {
			t.Errorf("%s notice: %+v", ch, d.Message)
		}
		if d.Conversation.Contact != (sdk.Contact{TelegramUserID: 50}) {
			t.Errorf("%s notice carries the contact %+v", ch, d.Conversation.Contact)
		}
	}
	if string(byChannel["slack"].ThreadRef) != "T50" {
		t.Errorf("slack notice thread %q, want T50", byChannel["slack"].ThreadRef)
	}

	// Idempotent: a second run erases nothing, tells nobody again and
	// leaves the notices on their way.
	f = e.forget(50)
	mustEqual(t, f, store.Forgotten{Conversations: 1}, "second erasure")
	e.noticesOnly("after a second erasure")

	// Replies still route to the conversation; a new message of the user
	// is kept, and a later erasure takes it.
	res := e.commitReplies("slack", sdk.Reply{ThreadRef: []byte("T50"), ExternalID: "r50-late", Text: "done"})
	mustEqual(t, res[0].ConversationID, u50.ID, "reply after the erasure")
	e.commit(4, 50, []string{"slack"}, text("u50-c", "me again"))
	f = e.forget(50)
	mustEqual(t, f, store.Forgotten{Conversations: 1, Erased: 1, Messages: 1, Replies: 1, Notified: []string{"helpscout", "slack"}}, "erasure after the user wrote again")
}

func testForgetUnknown(t *testing.T, e *env) {
	e.commit(1, 60, []string{"slack"}, text("u60-a", "keep me"))
	mustEqual(t, e.forget(50), store.Forgotten{}, "erasure of a user who never wrote")
	if _, err := e.s.ForgetTelegramUser(e.ctx, 0, erased); err == nil {
		t.Error("ForgetTelegramUser(0) succeeded")
	}
	if q := e.queued(); len(q) != 1 {
		t.Errorf("queue after erasing a stranger: %v", q)
	}
}

// An erasure that fails half way (rows deleted, notice not yet queued)
// leaves everything as it was; running it again finishes it.
func testForgetCrash(t *testing.T, e *env, crash Crasher) {
	u50, _ := e.forgetData()
	before := e.queued()
	repair := crash(t, e.s)
	if _, err := e.s.ForgetTelegramUser(e.ctx, 50, erased); err == nil {
		t.Fatal("the erasure succeeded through the simulated crash")
	}
	repair()
	mustEqual(t, e.queued(), before, "queue after the interrupted erasure")
	if c, _ := e.s.Conversation(e.ctx, u50.ID); c.Contact.FirstName == "" {
		t.Errorf("the interrupted erasure blanked the contact: %+v", c.Contact)
	}
	f := e.forget(50)
	mustEqual(t, f, store.Forgotten{Conversations: 1, Erased: 1, Messages: 2, Replies: 2, Notified: []string{"helpscout", "slack"}}, "erasure run again")
	e.noticesOnly("after the erasure was run again")
}
