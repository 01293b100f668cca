package storetest

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

var urlSafe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func testNewConversation(t *testing.T, e *env) {
	payload := "promo-42"
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{
		UpdateID: 1, ChatID: 1001, Contact: contact(1001), StartPayload: &payload,
		Messages: []sdk.Message{text("m1", "/start promo-42")}, Channels: []string{"slack"}, Time: e.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Conversation
	if !res.Created || res.Duplicate {
		t.Fatalf("first update: Created=%t Duplicate=%t, want a new conversation", res.Created, res.Duplicate)
	}
	if !urlSafe.MatchString(c.ID) || len(c.ID) < 8 {
		t.Errorf("conversation id %q is not a URL-safe random id", c.ID)
	}
	if c.Number != 1 {
		t.Errorf("first conversation has number %d, want 1", c.Number)
	}
	mustEqual(t, c.ChatID, int64(1001), "chat id")
	mustEqual(t, c.Contact, contact(1001), "contact")
	mustEqual(t, c.StartPayload, payload, "start payload")
	if !c.StartedAt.Equal(e.now) || !c.UpdatedAt.Equal(e.now) {
		t.Errorf("times: started %v updated %v, want both %v", c.StartedAt, c.UpdatedAt, e.now)
	}
	if c.Blocked {
		t.Error("a new conversation is blocked")
	}

	byID, err := e.s.Conversation(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	byChat, err := e.s.ConversationByChat(e.ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []store.Conversation{byID, byChat} {
		if got.ID != c.ID || got.Number != c.Number || got.Contact != c.Contact || got.StartPayload != payload || !got.StartedAt.Equal(c.StartedAt) {
			t.Errorf("looked up %+v, committed %+v", got, c)
		}
	}
}

func testNumbersSequential(t *testing.T, e *env) {
	seen := map[string]bool{}
	for i := int64(1); i <= 5; i++ {
		res := e.commit(i, 2000+i, []string{"slack"}, text(fmt.Sprintf("m%d", i), "hi"))
		if res.Conversation.Number != i {
			t.Errorf("conversation %d has number %d", i, res.Conversation.Number)
		}
		if seen[res.Conversation.ID] {
			t.Errorf("conversation id %s handed out twice", res.Conversation.ID)
		}
		seen[res.Conversation.ID] = true
	}
	// A new update of an existing chat does not take a number.
	e.commit(6, 2001, []string{"slack"}, text("m6", "again"))
	if res := e.commit(7, 3000, []string{"slack"}, text("m7", "new")); res.Conversation.Number != 6 {
		t.Errorf("sixth conversation has number %d, want 6", res.Conversation.Number)
	}
}

func testExistingConversation(t *testing.T, e *env) {
	payload := "from-ad"
	first, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: 1, ChatID: 7, Contact: contact(7), StartPayload: &payload, Time: e.now})
	if err != nil {
		t.Fatal(err)
	}

	renamed := contact(7)
	renamed.Username = "renamed"
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: 2, ChatID: 7, Contact: renamed,
		Messages: []sdk.Message{text("m2", "hello")}, Channels: []string{"slack"}, Time: e.at(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Conversation
	if res.Created || c.ID != first.Conversation.ID || c.Number != first.Conversation.Number {
		t.Fatalf("second update made %+v (created=%t), want the conversation %s", c, res.Created, first.Conversation.ID)
	}
	mustEqual(t, c.Contact.Username, "renamed", "contact after the user renamed")
	mustEqual(t, c.StartPayload, payload, "start payload after an update without /start")
	if !c.StartedAt.Equal(e.now) || !c.UpdatedAt.Equal(e.at(time.Minute)) {
		t.Errorf("times: started %v updated %v, want %v and %v", c.StartedAt, c.UpdatedAt, e.now, e.at(time.Minute))
	}

	// An update without a sender keeps the contact; a new /start replaces
	// the payload, a bare one clears it.
	empty := ""
	res, err = e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: 3, ChatID: 7, StartPayload: &empty, Time: e.at(2 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, res.Conversation.Contact, renamed, "contact after an update without a sender")
	mustEqual(t, res.Conversation.StartPayload, "", "start payload after a bare /start")
}

func testDuplicateUpdate(t *testing.T, e *env) {
	first := e.commit(10, 1, []string{"slack"}, text("m1", "first"))
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{
		UpdateID: 10, ChatID: 1, Contact: sdk.Contact{FirstName: "Changed"},
		Messages: []sdk.Message{text("m2", "replayed with other content")}, Channels: []string{"slack", "helpscout"},
		Answer: &sdk.Reply{ExternalID: "welcome-10", Text: "Welcome"}, Time: e.at(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Duplicate || res.Created {
		t.Fatalf("replayed update: Duplicate=%t Created=%t, want a duplicate", res.Duplicate, res.Created)
	}
	if res.Conversation.ID != first.Conversation.ID {
		t.Errorf("duplicate reports conversation %q, want %q", res.Conversation.ID, first.Conversation.ID)
	}
	c, err := e.s.Conversation(e.ctx, first.Conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Contact != contact(1) || !c.UpdatedAt.Equal(e.now) {
		t.Errorf("the duplicate changed the conversation: %+v", c)
	}
	d := e.claimOne("w", e.at(time.Hour), "m1")
	e.complete(d, "w", nil, "")
	e.claimNone("w", e.at(time.Hour), "the duplicate's messages must not be queued")
	if rs := e.claimReplies("w", 10, later()); len(rs) != 0 {
		t.Errorf("the duplicate's answer was queued: %+v", rs)
	}
	if off, _ := e.s.TelegramOffset(e.ctx, store.DefaultBot); off != 11 {
		t.Errorf("offset %d after update 10, want 11", off)
	}
}

func testCommitAtomic(t *testing.T, e *env) {
	// The second message is invalid: whatever the driver wrote for the
	// conversation and the first message must be undone.
	_, err := e.s.CommitInbound(e.ctx, store.Inbound{
		UpdateID: 5, ChatID: 42, Contact: contact(42),
		Messages: []sdk.Message{text("m1", "ok"), {Kind: sdk.KindText, Text: "no id"}},
		Channels: []string{"slack"}, Answer: &sdk.Reply{ExternalID: "welcome", Text: "hi"}, Time: e.now,
	})
	if err == nil {
		t.Fatal("committing a message without an id succeeded")
	}
	if _, err := e.s.ConversationByChat(e.ctx, 42); err == nil {
		t.Error("the failed commit left its conversation behind")
	}
	if off, _ := e.s.TelegramOffset(e.ctx, store.DefaultBot); off != 0 {
		t.Errorf("the failed commit advanced the offset to %d", off)
	}
	e.claimNone("w", e.at(time.Hour), "the failed commit queued nothing")
	if rs := e.claimReplies("w", 10, later()); len(rs) != 0 {
		t.Errorf("the failed commit queued its answer: %+v", rs)
	}

	// The update was not recorded, so Telegram's redelivery commits.
	res := e.commit(5, 42, []string{"slack"}, text("m1", "ok"))
	if res.Duplicate || !res.Created || res.Conversation.Number != 1 {
		t.Errorf("redelivery after a failed commit: %+v", res)
	}
	e.claimOne("w", e.at(time.Hour), "m1")
}

func testMessageIDsUnique(t *testing.T, e *env) {
	e.commit(1, 1, []string{"slack"}, text("m1", "hello"))
	// The same message again under another update id (a caller's retry).
	e.commit(2, 1, []string{"slack"}, text("m1", "hello"), text("m2", "world"))
	// An edit is a new message with its own id.
	edit := text("m1-edit", "hello, edited")
	edit.EditOf = "m1"
	e.commit(3, 1, []string{"slack"}, edit)

	var got []string
	for range 5 {
		ds := e.claim("w", 10, e.at(time.Hour))
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			got = append(got, d.Message.ID)
			e.complete(d, "w", nil, "")
		}
	}
	mustEqual(t, got, []string{"m1", "m2", "m1-edit"}, "messages delivered")
}

func testAnswer(t *testing.T, e *env) {
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{
		UpdateID: 1, ChatID: 9, Contact: contact(9),
		Answer: &sdk.Reply{ExternalID: "welcome-9", Text: "Hi! An agent will answer shortly."}, Time: e.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := e.claimReplies("w", 10, later())
	if len(rs) != 1 {
		t.Fatalf("claimed %d replies, want the answer", len(rs))
	}
	r := rs[0]
	if r.Channel != "" || r.Conversation.ID != res.Conversation.ID || r.Conversation.ChatID != 9 ||
		r.Reply.ExternalID != "welcome-9" || r.Reply.Text != "Hi! An agent will answer shortly." {
		t.Errorf("answer claimed as %+v", r)
	}
	e.claimNone("w", e.at(time.Hour), "a bare /start queues nothing to the desks")
}

func testTelegramOffset(t *testing.T, e *env) {
	off, err := e.s.TelegramOffset(e.ctx, store.DefaultBot)
	if err != nil {
		t.Fatal(err)
	}
	if off != 0 {
		t.Fatalf("offset of an empty store is %d, want 0", off)
	}
	for _, step := range []struct{ update, want int64 }{{5, 6}, {3, 6}, {5, 6}, {900000001, 900000002}} {
		e.commit(step.update, 1, nil)
		if off, _ := e.s.TelegramOffset(e.ctx, store.DefaultBot); off != step.want {
			t.Errorf("after update %d the offset is %d, want %d", step.update, off, step.want)
		}
	}
}

// An ignored update (no chat) moves the offset on without creating a
// conversation.
func testIgnoredUpdate(t *testing.T, e *env) {
	res := e.commit(40, 0, nil)
	if res.Duplicate || res.Conversation.ID != "" {
		t.Fatalf("ignored update: %+v", res)
	}
	if off, _ := e.s.TelegramOffset(e.ctx, store.DefaultBot); off != 41 {
		t.Fatalf("offset after an ignored update is %d, want 41", off)
	}
	if again := e.commit(40, 0, nil); !again.Duplicate {
		t.Fatal("the same ignored update committed twice")
	}
	convs, err := e.s.Conversations(e.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 0 {
		t.Fatalf("ignored updates created %d conversations", len(convs))
	}
}
