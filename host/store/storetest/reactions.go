package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// reactionTests are the subtests of store.Reactions.
var reactionTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"Reactions/AgentReact", testAgentReact},
	{"Reactions/AgentDelete", testAgentDelete},
	{"Reactions/CustomerReaction", testCustomerReaction},
	{"Reactions/Seen", testSeenReaction},
	{"Reactions/Photo", testContactPhoto},
}

// tgText is a customer's text with its Telegram message id.
func tgText(id string, tg int64) sdk.Message {
	m := text(id, "hello "+id)
	m.TelegramMessageID = tg
	return m
}

// withDesk starts a conversation of chat whose message m (Telegram id 17)
// was delivered to slack (thread "T<chat>", desk id "D17") and hipchat.
func (e *env) withDesk(chat int64) store.Conversation {
	e.t.Helper()
	conv := e.commit(chat*100, chat, []string{"slack", "hipchat"}, tgText(fmt.Sprint("m", chat), 17)).Conversation
	for _, d := range e.claim("setup", 100, later()) {
		e.complete(d, "setup", []byte(fmt.Sprint("T", chat)), "D17")
	}
	return conv
}

// sendReplies claims and completes every reply ready, each sent as the
// Telegram ids next hands out, and returns them.
func (e *env) sendReplies(next func() []int64) []store.OutgoingReply {
	e.t.Helper()
	var out []store.OutgoingReply
	for range 100 {
		rs := e.claimReplies("w", 100, later())
		if len(rs) == 0 {
			return out
		}
		for _, r := range rs {
			var ids []int64
			if r.Op == nil {
				ids = next()
			}
			if err := e.s.CompleteReply(e.ctx, r.ID, "w", ids); err != nil {
				e.t.Fatal(err)
			}
			out = append(out, r)
		}
	}
	e.t.Fatal("the replies never drained")
	return nil
}

func (e *env) queueAction(channel string, a sdk.Action) (sdk.ActionResult, error) {
	return e.s.QueueTelegramAction(e.ctx, channel, a)
}

func testAgentReact(t *testing.T, e *env) {
	conv := e.withDesk(1)
	res, err := e.queueAction("slack", sdk.Action{Kind: sdk.ActionReact, ThreadRef: []byte("T1"), ExternalID: "x1", MessageID: "m1", Emoji: "👍"})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, res, sdk.ActionResult{ConversationID: conv.ID, State: sdk.StateOpen, Changed: true}, "react result")
	if res, err := e.queueAction("slack", sdk.Action{Kind: sdk.ActionReact, ThreadRef: []byte("T1"), ExternalID: "x1", MessageID: "m1", Emoji: "👍"}); err != nil || !res.Duplicate {
		t.Fatalf("the same action again: %+v, %v; want a duplicate", res, err)
	}
	// By the desk's id of the message, and removing (no emoji).
	if _, err := e.queueAction("hipchat", sdk.Action{Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "x2", DeskMessageID: "D17"}); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]sdk.Action{
		"unknown message":        {Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "bad1", MessageID: "nope", Emoji: "👍"},
		"unknown desk id":        {Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "bad2", DeskMessageID: "D99", Emoji: "👍"},
		"no message":             {Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "bad3", Emoji: "👍"},
		"another channel's desk": {Kind: sdk.ActionReact, ConversationID: conv.ID, ExternalID: "bad4", DeskMessageID: "D17x", Emoji: "👍"},
	} {
		if _, err := e.queueAction("slack", a); !errors.Is(err, store.ErrInvalidAction) {
			t.Errorf("%s: %v, want ErrInvalidAction", name, err)
		}
	}
	if _, err := e.queueAction("slack", sdk.Action{Kind: sdk.ActionReact, ThreadRef: []byte("nope"), ExternalID: "bad5", MessageID: "m1"}); !errors.Is(err, store.ErrUnknownConversation) {
		t.Errorf("unknown thread: %v, want ErrUnknownConversation", err)
	}
	rs := e.sendReplies(func() []int64 { return nil })
	if len(rs) != 2 {
		t.Fatalf("queued %d rows, want the two reactions (the refused and repeated actions store nothing)", len(rs))
	}
	mustEqual(t, *rs[0].Op, store.TelegramOp{Kind: store.OpReact, Channel: "slack", ActionExternalID: "x1", Emoji: "👍", MessageID: 17}, "first op")
	mustEqual(t, *rs[1].Op, store.TelegramOp{Kind: store.OpReact, Channel: "hipchat", ActionExternalID: "x2", MessageID: 17}, "second op")
	if rs[0].Channel != "" || rs[0].Conversation.ID != conv.ID {
		t.Errorf("op row of channel %q, conversation %s: want a host row of %s", rs[0].Channel, rs[0].Conversation.ID, conv.ID)
	}
}

func testAgentDelete(t *testing.T, e *env) {
	conv := e.withDesk(1)
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r1", Text: "one"})
	tg := int64(500)
	next := func() []int64 { tg += 2; return []int64{tg - 1, tg} }
	e.sendReplies(next)
	// r2 is still queued when its delete arrives: the lane sends it first.
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r2", Text: "two"})
	for _, r := range []string{"r1", "r2"} {
		if _, err := e.queueAction("slack", sdk.Action{Kind: sdk.ActionDelete, ConversationID: conv.ID, ExternalID: "d" + r, ReplyExternalID: r}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.queueAction("hipchat", sdk.Action{Kind: sdk.ActionDelete, ConversationID: conv.ID, ExternalID: "d3", ReplyExternalID: "r1"}); !errors.Is(err, store.ErrUnknownMessage) {
		t.Errorf("deleting another channel's reply: %v, want ErrUnknownMessage", err)
	}
	if _, err := e.queueAction("slack", sdk.Action{Kind: sdk.ActionDelete, ConversationID: conv.ID, ExternalID: "d4"}); !errors.Is(err, store.ErrInvalidAction) {
		t.Errorf("a delete naming no reply: %v, want ErrInvalidAction", err)
	}
	rs := e.sendReplies(next)
	if len(rs) != 3 || rs[0].Reply.ExternalID != "r2" {
		t.Fatalf("rows %+v, want r2 then the two deletes", rs)
	}
	mustEqual(t, rs[1].Op.TelegramMessageIDs, []int64{501, 502}, "r1's messages")
	mustEqual(t, rs[2].Op.TelegramMessageIDs, []int64{503, 504}, "r2's messages")
	if rs[1].Op.Kind != store.OpDelete || rs[1].Op.ReplyExternalID != "r1" || rs[1].Op.Channel != "slack" {
		t.Errorf("delete op %+v", rs[1].Op)
	}
}

func testCustomerReaction(t *testing.T, e *env) {
	conv := e.withDesk(1)
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r1", Text: "one"})
	e.sendReplies(func() []int64 { return []int64{500} })
	e.drain()
	react := func(update, msg int64, added, removed []string) store.ReactionResult {
		t.Helper()
		res, err := e.s.CommitReaction(e.ctx, store.ReactionUpdate{UpdateID: update, ChatID: 1, MessageID: msg, Added: added, Removed: removed})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := react(300, 500, []string{"👍"}, []string{"🔥"}); !res.Known || res.ConversationID != conv.ID {
		t.Fatalf("a reaction on the agent's reply: %+v", res)
	}
	if res := react(300, 500, []string{"👍"}, nil); !res.Duplicate {
		t.Errorf("the same update again: %+v", res)
	}
	if res := react(301, 17, []string{"👍"}, nil); res.Known {
		t.Errorf("a reaction on a message that is no agent reply: %+v", res)
	}
	if off, _ := e.s.TelegramOffset(e.ctx, ""); off != 302 {
		t.Errorf("offset %d, want 302: every reaction update is committed", off)
	}
	got, ds := e.drain()
	want := []string{string(sdk.NoticeReaction), string(sdk.NoticeReaction)}
	mustEqual(t, got, map[string][]string{conv.ID + "/slack": want, conv.ID + "/hipchat": want}, "reaction notices")
	var notices []sdk.Notice
	for _, d := range ds {
		if d.Channel == "slack" {
			n := *d.Message.Notice
			n.Text = ""
			notices = append(notices, n)
		}
	}
	mustEqual(t, notices, []sdk.Notice{
		{Code: sdk.NoticeReaction, Emoji: "👍", ReplyExternalID: "r1", SourceChannel: "slack"},
		{Code: sdk.NoticeReaction, Emoji: "🔥", Removed: true, ReplyExternalID: "r1", SourceChannel: "slack"},
	}, "notices")
}

func testSeenReaction(t *testing.T, e *env) {
	e.s.SetSeenReaction("👀")
	conv := e.withDesk(1)
	e.commit(101, 1, []string{"slack"}, tgText("m1b", 18))
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r1", Text: "one"})
	e.commitReplies("slack", sdk.Reply{ConversationID: conv.ID, ExternalID: "r2", Text: "two"})
	e.act("slack", sdk.Action{Kind: sdk.ActionClaim, ConversationID: conv.ID, ExternalID: "c1"})
	rs := e.sendReplies(func() []int64 { return []int64{600} })
	var ops []store.TelegramOp
	for _, r := range rs {
		if r.Op != nil {
			ops = append(ops, *r.Op)
		}
	}
	mustEqual(t, ops, []store.TelegramOp{{Kind: store.OpReact, Emoji: "👀", MessageID: 18}}, "seen reactions after two replies and a claim")

	// A claim first does it too.
	other := e.withDesk(2)
	e.act("slack", sdk.Action{Kind: sdk.ActionClaim, ConversationID: other.ID, ExternalID: "c2"})
	rs = e.sendReplies(func() []int64 { return nil })
	if len(rs) != 1 || rs[0].Op == nil || rs[0].Op.MessageID != 17 || rs[0].Conversation.ID != other.ID {
		t.Fatalf("after a claim: %+v", rs)
	}
}

func testContactPhoto(t *testing.T, e *env) {
	conv := e.commit(1, 1, []string{"slack"}, tgText("m1", 17)).Conversation
	if conv.PhotoRef != "" {
		t.Fatalf("a new conversation has photo %q, want none looked up", conv.PhotoRef)
	}
	if err := e.s.SetContactPhoto(e.ctx, conv.ID, "AgADphoto"); err != nil {
		t.Fatal(err)
	}
	e.commit(2, 1, []string{"slack"}, tgText("m2", 18)) // intake refreshes the contact, not the photo
	got, err := e.s.Conversation(e.ctx, conv.ID)
	if err != nil || got.PhotoRef != "AgADphoto" {
		t.Fatalf("photo %q, %v", got.PhotoRef, err)
	}
	if ds := e.claim("w", 10, later()); len(ds) != 1 || ds[0].Conversation.PhotoRef != "AgADphoto" {
		t.Fatalf("a delivery's conversation: %s", describe(ds))
	}
}
