package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// threaded commits a conversation and delivers its first message to slack,
// which returns the thread ref.
func (e *env) threaded(update, chat int64, ref string) store.Conversation {
	e.t.Helper()
	id := "m" + ref
	conv := e.commit(update, chat, []string{"slack"}, text(id, "hello")).Conversation
	for _, d := range e.claim("setup", 100, e.now) {
		if d.Message.ID == id {
			e.complete(d, "setup", []byte(ref), "desk-"+ref)
		}
	}
	return conv
}

func testRepliesResolve(t *testing.T, e *env) {
	conv := e.threaded(1, 1, "T1")
	byThread := sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "r1", Author: "Ann", Text: "<b>Hi</b>", Format: sdk.FormatTelegramHTML,
		Attachments: []sdk.ReplyAttachment{{Ref: "F1", Name: "guide.pdf", MIMEType: "application/pdf", Size: 2048}}}
	byID := sdk.Reply{ConversationID: conv.ID, ExternalID: "r2", Text: "second"}
	res := e.commitReplies("slack", byThread, byID)
	if res[0].FirstReply <= 0 {
		t.Errorf("the conversation's first reply has FirstReply %v, want the time since it started", res[0].FirstReply)
	}
	res[0].FirstReply = 0
	mustEqual(t, res, []store.ReplyResult{{ConversationID: conv.ID}, {ConversationID: conv.ID}}, "results")

	rs := e.claimReplies("w", 10, later())
	if len(rs) != 1 {
		t.Fatalf("claimed %d replies of one conversation, want its head", len(rs))
	}
	r := rs[0]
	mustEqual(t, r.Reply, byThread, "claimed reply")
	if r.Channel != "slack" || r.Conversation.ID != conv.ID || r.Conversation.ChatID != 1 || r.Attempts != 0 || r.EditOfTelegramMessageIDs != nil {
		t.Errorf("claimed %+v", r)
	}
	if err := e.s.CompleteReply(e.ctx, r.ID, "w", []int64{501}); err != nil {
		t.Fatal(err)
	}
	rs = e.claimReplies("w", 10, later())
	if len(rs) != 1 || rs[0].Reply.ExternalID != "r2" {
		t.Fatalf("after r1 was sent claimed %+v, want r2", rs)
	}
}

func testReplyDedupe(t *testing.T, e *env) {
	conv := e.threaded(1, 1, "T1")
	r := sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "evt-1", Text: "hi"}
	e.commitReplies("slack", r)
	again := r
	again.Text = "redelivered webhook"
	res := e.commitReplies("slack", again, sdk.Reply{ConversationID: conv.ID, ExternalID: "evt-2", Text: "x"}, sdk.Reply{ConversationID: conv.ID, ExternalID: "evt-2", Text: "x"})
	mustEqual(t, res, []store.ReplyResult{
		{Duplicate: true, ConversationID: conv.ID}, {ConversationID: conv.ID}, {Duplicate: true, ConversationID: conv.ID},
	}, "results of a redelivery and an in-batch repeat")
	// External ids are the desk's: another channel may reuse one.
	res = e.commitReplies("helpscout", sdk.Reply{ConversationID: conv.ID, ExternalID: "evt-1", Text: "from helpscout"})
	mustEqual(t, res[0].Duplicate, false, "same external id from another channel is a duplicate")

	var texts []string
	for range 5 {
		rs := e.claimReplies("w", 10, later())
		if len(rs) == 0 {
			break
		}
		for _, r := range rs {
			texts = append(texts, r.Reply.Text)
			if err := e.s.CompleteReply(e.ctx, r.ID, "w", []int64{1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustEqual(t, texts, []string{"hi", "x", "from helpscout"}, "replies sent")
}

func testReplyUnknownConversation(t *testing.T, e *env) {
	conv := e.threaded(1, 1, "T1")
	tests := []struct {
		name    string
		channel string
		bad     sdk.Reply
		names   string // what the error must name
	}{
		{"unknown thread", "slack", sdk.Reply{ThreadRef: []byte("T-unknown"), ExternalID: "b1"}, "T-unknown"},
		{"thread of another channel", "helpscout", sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "b2"}, "T1"},
		{"unknown conversation id", "slack", sdk.Reply{ConversationID: "c_0000000000000000", ExternalID: "b3"}, "c_0000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := sdk.Reply{ConversationID: conv.ID, ExternalID: "good-" + tt.bad.ExternalID, Text: "fine"}
			_, err := e.s.CommitReplies(e.ctx, tt.channel, []sdk.Reply{good, tt.bad})
			mustErrorIs(t, err, store.ErrUnknownConversation, "reply to "+tt.name)
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not name %q", err, tt.names)
			}
			if rs := e.claimReplies("w", 10, later()); len(rs) != 0 {
				t.Fatalf("a rejected batch stored %+v", rs)
			}
			// Nothing of the batch was kept: the good reply is new next time.
			res := e.commitReplies(tt.channel, good)
			if res[0].Duplicate {
				t.Error("the good reply of a rejected batch was stored")
			}
			rs := e.claimReplies("w", 10, later())
			if len(rs) != 1 {
				t.Fatalf("claimed %d replies, want the good one", len(rs))
			}
			if err := e.s.CompleteReply(e.ctx, rs[0].ID, "w", nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func testReplyLanes(t *testing.T, e *env) {
	a := e.threaded(1, 1, "TA")
	b := e.threaded(2, 2, "TB")
	e.commitReplies("slack",
		sdk.Reply{ThreadRef: []byte("TA"), ExternalID: "a1"}, sdk.Reply{ThreadRef: []byte("TA"), ExternalID: "a2"},
		sdk.Reply{ThreadRef: []byte("TB"), ExternalID: "b1"})
	at := later()
	rs := e.claimReplies("w1", 10, at)
	got := map[string]string{}
	for _, r := range rs {
		got[r.Conversation.ID] = r.Reply.ExternalID
	}
	mustEqual(t, got, map[string]string{a.ID: "a1", b.ID: "b1"}, "heads of each conversation")
	if more := e.claimReplies("w2", 10, at.Add(lease/2)); len(more) != 0 {
		t.Fatalf("leased heads must block their conversations, got %+v", more)
	}
	var a1, b1 store.OutgoingReply
	for _, r := range rs {
		if r.Reply.ExternalID == "a1" {
			a1 = r
		} else {
			b1 = r
		}
	}
	if err := e.s.RetryReply(e.ctx, a1.ID, "w1", at.Add(5*time.Minute), "telegram 429"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.FailReply(e.ctx, b1.ID, "w1", "chat not found"); err != nil {
		t.Fatal(err)
	}
	if more := e.claimReplies("w2", 10, at.Add(time.Minute)); len(more) != 0 {
		t.Fatalf("a1 waits for its retry and a2 behind it, got %+v", more)
	}
	rs = e.claimReplies("w2", 10, at.Add(5*time.Minute))
	if len(rs) != 1 || rs[0].Reply.ExternalID != "a1" || rs[0].Attempts != 1 {
		t.Fatalf("after the retry came due claimed %+v, want a1 with one attempt", rs)
	}
	mustErrorIs(t, e.s.CompleteReply(e.ctx, rs[0].ID, "w1", nil), store.ErrLeaseLost, "complete by a former owner")
	stolen := e.claimReplies("w3", 10, at.Add(5*time.Minute+lease+time.Second))
	if len(stolen) != 1 || stolen[0].ID != rs[0].ID {
		t.Fatalf("after w2's lease ran out w3 claimed %+v", stolen)
	}
	mustErrorIs(t, e.s.CompleteReply(e.ctx, rs[0].ID, "w2", []int64{1}), store.ErrLeaseLost, "complete after the lease was taken over")
	mustErrorIs(t, e.s.RetryReply(e.ctx, rs[0].ID, "w2", at, "x"), store.ErrLeaseLost, "retry after the lease was taken over")
	mustErrorIs(t, e.s.FailReply(e.ctx, rs[0].ID, "w2", "x"), store.ErrLeaseLost, "fail after the lease was taken over")
	mustErrorIs(t, e.s.CompleteReply(e.ctx, rs[0].ID+1000, "w3", nil), store.ErrNotFound, "complete of an unknown reply")
	if err := e.s.CompleteReply(e.ctx, stolen[0].ID, "w3", []int64{7}); err != nil {
		t.Fatal(err)
	}
	rs = e.claimReplies("w3", 10, at.Add(10*time.Minute))
	if len(rs) != 1 || rs[0].Reply.ExternalID != "a2" {
		t.Fatalf("claimed %+v, want a2", rs)
	}
}

func testReplyEdits(t *testing.T, e *env) {
	e.threaded(1, 1, "T1")
	e.commitReplies("slack", sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "r1", Text: "helo"})
	rs := e.claimReplies("w", 1, later())
	if err := e.s.CompleteReply(e.ctx, rs[0].ID, "w", []int64{100, 101}); err != nil {
		t.Fatal(err)
	}
	e.commitReplies("slack",
		sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "r1-edit", Text: "hello", EditOf: "r1"},
		sdk.Reply{ThreadRef: []byte("T1"), ExternalID: "r9-edit", Text: "?", EditOf: "r9"})
	rs = e.claimReplies("w", 1, later())
	if len(rs) != 1 || rs[0].Reply.EditOf != "r1" {
		t.Fatalf("claimed %+v, want the edit", rs)
	}
	mustEqual(t, rs[0].EditOfTelegramMessageIDs, []int64{100, 101}, "telegram ids of the edited reply")
	if err := e.s.CompleteReply(e.ctx, rs[0].ID, "w", []int64{100}); err != nil {
		t.Fatal(err)
	}
	rs = e.claimReplies("w", 1, later())
	if len(rs) != 1 || len(rs[0].EditOfTelegramMessageIDs) != 0 {
		t.Fatalf("an edit of a reply never sent claimed as %+v", rs)
	}
}
