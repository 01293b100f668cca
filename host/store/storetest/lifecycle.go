package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// lifecycleTests are the subtests of store.Lifecycle.
var lifecycleTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"Lifecycle/Actions", testActions},
	{"Lifecycle/ActionDedupe", testActionDedupe},
	{"Lifecycle/ActionUnknownConversation", testActionUnknown},
	{"Lifecycle/NewAfterClose", testNewAfterClose},
	{"Lifecycle/ReopenWithin", testReopenWithin},
	{"Lifecycle/ReopenAlways", testReopenAlways},
	{"Lifecycle/CustomerNew", testCustomerNew},
	{"Lifecycle/ReopenWithNewer", testReopenWithNewer},
	{"Lifecycle/Idle", testIdleClose},
	{"Lifecycle/List", testListConversations},
	{"Lifecycle/RaceMessageAndClose", testRaceMessageAndClose},
	{"Lifecycle/Rating", testRating},
	{"Lifecycle/RatingAfterIdleClose", testRatingAfterIdle},
}

// act applies an action and fails the test on an error.
func (e *env) act(channel string, a sdk.Action) sdk.ActionResult {
	e.t.Helper()
	res, err := e.s.ApplyAction(e.ctx, channel, a)
	if err != nil {
		e.t.Fatalf("ApplyAction(%s, %+v): %v", channel, a, err)
	}
	return res
}

// drain delivers everything deliverable, lane by lane in order, and
// returns what each lane got ("conversation/channel" → notice codes or
// message ids, in order), with the deliveries themselves.
func (e *env) drain() (map[string][]string, []store.Delivery) {
	e.t.Helper()
	got := map[string][]string{}
	var all []store.Delivery
	for range 1000 {
		ds := e.claim("drain", 100, later().Add(60*24*time.Hour)) // past every test time
		if len(ds) == 0 {
			return got, all
		}
		for _, d := range ds {
			what := d.Message.ID
			if d.Message.Notice != nil {
				what = string(d.Message.Notice.Code)
			}
			k := d.Conversation.ID + "/" + d.Channel
			got[k] = append(got[k], what)
			all = append(all, d)
			ref := d.ThreadRef
			if ref == nil {
				ref = []byte(fmt.Sprintf("T-%s-%s", d.Channel, d.Conversation.ID))
			}
			e.complete(d, "drain", ref, "desk-"+d.Message.ID)
		}
	}
	e.t.Fatal("the lanes never drained")
	return nil, nil
}

// inTwoDesks starts a conversation delivered to slack (thread T1) and
// hipchat, its lanes drained.
func (e *env) inTwoDesks(chat int64) store.Conversation {
	e.t.Helper()
	conv := e.commit(chat*100, chat, []string{"slack", "hipchat"}, text(fmt.Sprint("m", chat), "hello")).Conversation
	for _, d := range e.claim("setup", 100, later()) {
		e.complete(d, "setup", []byte(fmt.Sprint("T", chat, d.Channel)), "desk")
	}
	return conv
}

func testActions(t *testing.T, e *env) {
	conv := e.inTwoDesks(1)
	if conv.State != sdk.StateOpen {
		t.Fatalf("a new conversation is %q, want open", conv.State)
	}
	res := e.act("slack", sdk.Action{Kind: sdk.ActionClaim, ThreadRef: []byte("T1slack"), ExternalID: "a1", Agent: "Grace Hopper"})
	mustEqual(t, res, sdk.ActionResult{ConversationID: conv.ID, State: sdk.StateClaimed, Changed: true}, "claim")
	got, ds := e.drain()
	mustEqual(t, got, map[string][]string{
		conv.ID + "/slack": {string(sdk.NoticeConversationClaimed)}, conv.ID + "/hipchat": {string(sdk.NoticeConversationClaimed)},
	}, "notices of the claim")
	n := ds[0].Message.Notice
	if n.Agent != "Grace Hopper" || n.State != sdk.StateClaimed || n.SourceChannel != "slack" || n.ActionExternalID != "a1" || n.Text == "" {
		t.Errorf("claim notice %+v", n)
	}
	c, err := e.s.Conversation(e.ctx, conv.ID)
	if err != nil || c.State != sdk.StateClaimed || c.ClaimedBy != "Grace Hopper" {
		t.Fatalf("after the claim: %+v, %v", c, err)
	}
	if ds[0].Conversation.State != sdk.StateClaimed {
		t.Errorf("the delivery's conversation is %q, want claimed", ds[0].Conversation.State)
	}

	// A close without an agent name, by conversation id, from hipchat.
	res = e.act("hipchat", sdk.Action{Kind: sdk.ActionClose, ConversationID: conv.ID, ExternalID: "h1"})
	mustEqual(t, res, sdk.ActionResult{ConversationID: conv.ID, State: sdk.StateClosed, Changed: true}, "close")
	_, ds = e.drain()
	if len(ds) != 2 {
		t.Fatalf("the close reached %s, want both channels", describe(ds))
	}
	n = ds[0].Message.Notice
	if n.Code != sdk.NoticeConversationClosed || n.Agent != "an agent" || n.Reason != sdk.CloseByAgent || n.State != sdk.StateClosed {
		t.Errorf("close notice %+v", n)
	}
	c, _ = e.s.Conversation(e.ctx, conv.ID)
	if c.State != sdk.StateClosed || c.ClosedBy != "an agent" || c.CloseReason != sdk.CloseByAgent || c.ClosedAt.IsZero() || c.ClaimedBy != "" {
		t.Errorf("after the close: %+v", c)
	}

	// Claiming a closed conversation changes nothing; only the actor hears.
	res = e.act("slack", sdk.Action{Kind: sdk.ActionClaim, ThreadRef: []byte("T1slack"), ExternalID: "a2", Agent: "Ada"})
	mustEqual(t, res, sdk.ActionResult{ConversationID: conv.ID, State: sdk.StateClosed}, "claim of a closed conversation")
	got, ds = e.drain()
	mustEqual(t, got, map[string][]string{conv.ID + "/slack": {string(sdk.NoticeActionIgnored)}}, "notices of an ignored action")
	if n := ds[0].Message.Notice; n.ActionExternalID != "a2" || n.Text == "" {
		t.Errorf("ignored notice %+v", n)
	}

	// Reopen, then unclaim of an open conversation is ignored.
	res = e.act("slack", sdk.Action{Kind: sdk.ActionReopen, ThreadRef: []byte("T1slack"), ExternalID: "a3", Agent: "Ada"})
	mustEqual(t, res, sdk.ActionResult{ConversationID: conv.ID, State: sdk.StateOpen, Changed: true}, "reopen")
	got, _ = e.drain()
	mustEqual(t, got, map[string][]string{
		conv.ID + "/slack": {string(sdk.NoticeConversationReopened)}, conv.ID + "/hipchat": {string(sdk.NoticeConversationReopened)},
	}, "notices of the reopen")
	res = e.act("slack", sdk.Action{Kind: sdk.ActionUnclaim, ThreadRef: []byte("T1slack"), ExternalID: "a4"})
	if res.Changed || res.State != sdk.StateOpen {
		t.Errorf("unclaim of an open conversation: %+v", res)
	}
	_, err = e.s.ApplyAction(e.ctx, "slack", sdk.Action{Kind: "archive", ConversationID: conv.ID, ExternalID: "a5"})
	mustErrorIs(t, err, store.ErrInvalidAction, "an unknown kind")
	_, err = e.s.ApplyAction(e.ctx, "slack", sdk.Action{Kind: sdk.ActionClose, ConversationID: conv.ID})
	mustErrorIs(t, err, store.ErrInvalidAction, "no external id")
}

func testActionDedupe(t *testing.T, e *env) {
	conv := e.inTwoDesks(1)
	a := sdk.Action{Kind: sdk.ActionClose, ThreadRef: []byte("T1slack"), ExternalID: "evt-1", Agent: "Ann"}
	e.act("slack", a)
	again := e.act("slack", a)
	mustEqual(t, again, sdk.ActionResult{Duplicate: true, ConversationID: conv.ID, State: sdk.StateClosed, Changed: true}, "repeat")
	got, _ := e.drain()
	mustEqual(t, got, map[string][]string{
		conv.ID + "/slack": {string(sdk.NoticeConversationClosed)}, conv.ID + "/hipchat": {string(sdk.NoticeConversationClosed)},
	}, "notices after a repeated action")
	// The same external id in another channel is another action.
	res := e.act("hipchat", sdk.Action{Kind: sdk.ActionClose, ConversationID: conv.ID, ExternalID: "evt-1"})
	if res.Duplicate || res.Changed {
		t.Errorf("hipchat's evt-1: %+v, want applied and ignored", res)
	}
}

func testActionUnknown(t *testing.T, e *env) {
	conv := e.inTwoDesks(1)
	for _, a := range []sdk.Action{
		{Kind: sdk.ActionClose, ThreadRef: []byte("nope"), ExternalID: "x1"},
		{Kind: sdk.ActionClose, ThreadRef: []byte("T1hipchat"), ExternalID: "x1"}, // hipchat's thread, named by slack
		{Kind: sdk.ActionClose, ConversationID: "c_nope", ExternalID: "x1"},
		{Kind: sdk.ActionClose, ExternalID: "x1"},
	} {
		_, err := e.s.ApplyAction(e.ctx, "slack", a)
		mustErrorIs(t, err, store.ErrUnknownConversation, fmt.Sprintf("action %+v", a))
	}
	// Nothing was stored: the same id applies once the action is right.
	res := e.act("slack", sdk.Action{Kind: sdk.ActionClose, ThreadRef: []byte("T1slack"), ExternalID: "x1"})
	if res.Duplicate || !res.Changed || res.ConversationID != conv.ID {
		t.Errorf("after refusals: %+v", res)
	}
}

// closeAt closes conv by an agent of slack.
func (e *env) closeConv(conv store.Conversation, ext string) {
	e.t.Helper()
	e.act("slack", sdk.Action{Kind: sdk.ActionClose, ConversationID: conv.ID, ExternalID: ext, Agent: "Ann"})
}

// commitPolicy commits a message update under a policy.
func (e *env) commitPolicy(at time.Time, update, chat int64, p store.IntakePolicy, msgs ...sdk.Message) store.CommitResult {
	e.t.Helper()
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: update, ChatID: chat, Contact: contact(chat), Messages: msgs,
		Channels: []string{"slack", "hipchat"}, Time: at, Policy: p})
	if err != nil {
		e.t.Fatalf("CommitInbound(update %d): %v", update, err)
	}
	return res
}

func testNewAfterClose(t *testing.T, e *env) {
	first := e.inTwoDesks(1)
	e.closeConv(first, "c1")
	e.drain()
	// A far-away chat takes a number meanwhile.
	e.commit(5, 2, []string{"slack"}, text("other", "x"))
	res := e.commitPolicy(time.Now(), 2, 1, store.IntakePolicy{ReopenWithin: time.Hour * 0}, text("m2", "a new question"))
	c := res.Conversation
	if !res.Created || res.Reopened || c.ID == first.ID || c.Number != first.Number+2 || c.State != sdk.StateOpen {
		t.Fatalf("message after a close: %+v", res)
	}
	if c.PreviousID != first.ID || c.PreviousNumber != first.Number || c.Contact != first.Contact {
		t.Errorf("new conversation %+v does not link %s #%d", c, first.ID, first.Number)
	}
	_, ds := e.drain()
	prev := map[string]string{}
	for _, d := range ds {
		if d.Conversation.ID == c.ID {
			prev[d.Channel] = string(d.PreviousThreadRef)
			if d.Conversation.PreviousID != first.ID || d.Conversation.PreviousNumber != first.Number {
				t.Errorf("delivery's conversation %+v", d.Conversation)
			}
		}
	}
	mustEqual(t, prev, map[string]string{"slack": "T1slack", "hipchat": "T1hipchat"}, "previous thread refs of the first deliveries")
	latest, err := e.s.ConversationByChat(e.ctx, 1)
	if err != nil || latest.ID != c.ID {
		t.Errorf("ConversationByChat = %s, %v; want the new one %s", latest.ID, err, c.ID)
	}
	// The next message stays in the new conversation, and has no previous
	// thread any more (its lane has one).
	res = e.commitPolicy(time.Now(), 3, 1, store.IntakePolicy{}, text("m3", "more"))
	if res.Conversation.ID != c.ID || res.Created {
		t.Errorf("second message went to %+v", res)
	}
	_, ds = e.drain()
	if len(ds) != 2 || ds[0].PreviousThreadRef != nil {
		t.Errorf("later deliveries %+v", ds)
	}
	// A reply to the old thread still reaches the old conversation.
	rr := e.commitReplies("slack", sdk.Reply{ThreadRef: []byte("T1slack"), ExternalID: "r1", Text: "late answer"})
	if rr[0].ConversationID != first.ID {
		t.Errorf("a reply in the old thread went to %s", rr[0].ConversationID)
	}
}

func testReopenWithin(t *testing.T, e *env) {
	first := e.inTwoDesks(1)
	e.closeConv(first, "c1")
	e.drain()
	p := store.IntakePolicy{ReopenWithin: time.Hour}
	res := e.commitPolicy(time.Now().Add(10*time.Minute), 2, 1, p, text("m2", "one more thing"))
	if res.Conversation.ID != first.ID || !res.Reopened || res.Created || res.Conversation.State != sdk.StateOpen {
		t.Fatalf("a message 10 minutes after the close: %+v", res)
	}
	got, _ := e.drain()
	mustEqual(t, got, map[string][]string{
		first.ID + "/slack":   {string(sdk.NoticeConversationReopened), "m2"},
		first.ID + "/hipchat": {string(sdk.NoticeConversationReopened), "m2"},
	}, "lanes after a reopen")
	e.closeConv(first, "c2")
	e.drain()
	res = e.commitPolicy(time.Now().Add(2*time.Hour), 3, 1, p, text("m3", "much later"))
	if res.Conversation.ID == first.ID || !res.Created {
		t.Fatalf("a message 2 hours after the close: %+v", res)
	}
}

func testReopenAlways(t *testing.T, e *env) {
	first := e.inTwoDesks(1)
	e.closeConv(first, "c1")
	res := e.commitPolicy(time.Now().Add(30*24*time.Hour), 2, 1, store.IntakePolicy{Reopen: true}, text("m2", "a month later"))
	if res.Conversation.ID != first.ID || !res.Reopened {
		t.Fatalf("after_close=reopen: %+v", res)
	}
}

func testCustomerNew(t *testing.T, e *env) {
	first := e.inTwoDesks(1)
	p := store.IntakePolicy{ReopenWithin: time.Hour}
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: 2, ChatID: 1, Contact: contact(1), CloseCurrent: true,
		Channels: []string{"slack", "hipchat"}, Time: time.Now(), Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed == nil || res.Closed.ID != first.ID || res.Closed.CloseReason != sdk.CloseByCustomer || res.Created {
		t.Fatalf("/new: %+v", res)
	}
	got, ds := e.drain()
	mustEqual(t, got, map[string][]string{
		first.ID + "/slack": {string(sdk.NoticeConversationClosed)}, first.ID + "/hipchat": {string(sdk.NoticeConversationClosed)},
	}, "lanes after /new")
	if n := ds[0].Message.Notice; n.Reason != sdk.CloseByCustomer {
		t.Errorf("notice %+v", n)
	}
	// Within reopen_within, but the customer asked for a new one.
	res = e.commitPolicy(time.Now().Add(time.Minute), 3, 1, p, text("m3", "new topic"))
	if !res.Created || res.Conversation.PreviousID != first.ID {
		t.Fatalf("the message after /new: %+v", res)
	}
}

func testReopenWithNewer(t *testing.T, e *env) {
	first := e.inTwoDesks(1)
	e.closeConv(first, "c1")
	second := e.commitPolicy(time.Now(), 2, 1, store.IntakePolicy{}, text("m2", "again")).Conversation
	e.drain()
	res := e.act("slack", sdk.Action{Kind: sdk.ActionReopen, ThreadRef: []byte("T1slack"), ExternalID: "r1"})
	if res.Changed || res.State != sdk.StateClosed {
		t.Fatalf("reopening an old conversation while a newer one is open: %+v", res)
	}
	_, ds := e.drain()
	if len(ds) != 1 || ds[0].Message.Notice.Code != sdk.NoticeActionIgnored {
		t.Fatalf("got %s", describe(ds))
	}
	if want := fmt.Sprintf("#%d", second.Number); !strings.Contains(ds[0].Message.Notice.Text, want) {
		t.Errorf("notice %q does not name %s", ds[0].Message.Notice.Text, want)
	}
}

func testIdleClose(t *testing.T, e *env) {
	old := e.commitAt(e.now.Add(-3*time.Hour), 1, 1, []string{"slack"}, text("m1", "old")).Conversation
	fresh := e.commitAt(e.now, 2, 2, []string{"slack"}, text("m2", "fresh")).Conversation
	idle, err := e.s.IdleConversations(e.ctx, e.now.Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(idle) != 1 || idle[0].ID != old.ID {
		t.Fatalf("idle = %+v, want only %s", idle, old.ID)
	}
	// A message arriving before the close keeps the conversation open.
	e.commitAt(e.now, 3, 1, []string{"slack"}, text("m3", "still here"))
	ok, err := e.s.CloseConversation(e.ctx, old.ID, store.Closing{Reason: sdk.CloseByIdle, By: "Parley", IdleBefore: e.now.Add(-time.Hour)})
	if err != nil || ok {
		t.Fatalf("closing a conversation that woke up: %t, %v", ok, err)
	}
	ok, err = e.s.CloseConversation(e.ctx, fresh.ID, store.Closing{Reason: sdk.CloseByIdle, By: "Parley", IdleBefore: e.now.Add(time.Hour)})
	if err != nil || !ok {
		t.Fatalf("idle close: %t, %v", ok, err)
	}
	ok, err = e.s.CloseConversation(e.ctx, fresh.ID, store.Closing{Reason: sdk.CloseByOperator, By: "an operator"})
	if err != nil || ok {
		t.Fatalf("closing a closed conversation: %t, %v", ok, err)
	}
	got, ds := e.drain()
	if codes := got[fresh.ID+"/slack"]; len(codes) != 2 || codes[1] != string(sdk.NoticeConversationClosed) {
		t.Fatalf("fresh lane: %v", codes)
	}
	for _, d := range ds {
		if n := d.Message.Notice; n != nil && n.Reason != sdk.CloseByIdle {
			t.Errorf("idle close notice %+v", n)
		}
	}
	if _, err := e.s.CloseConversation(e.ctx, "c_nope", store.Closing{Reason: sdk.CloseByOperator}); err == nil {
		t.Error("closing an unknown conversation succeeded")
	}
	counts, err := e.s.CountByState(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, counts, map[sdk.ConversationState]int{sdk.StateOpen: 1, sdk.StateClosed: 1}, "counts")
}

func testListConversations(t *testing.T, e *env) {
	a := e.inTwoDesks(1)
	b := e.inTwoDesks(2)
	e.act("slack", sdk.Action{Kind: sdk.ActionClaim, ConversationID: b.ID, ExternalID: "x", Agent: "Ann"})
	for _, tt := range []struct {
		f    store.ConversationFilter
		want []string
	}{
		{store.ConversationFilter{}, []string{b.ID, a.ID}},
		{store.ConversationFilter{State: sdk.StateClaimed}, []string{b.ID}},
		{store.ConversationFilter{State: sdk.StateOpen}, []string{a.ID}},
		{store.ConversationFilter{TelegramUserID: 1}, []string{a.ID}},
		{store.ConversationFilter{State: sdk.StateClosed}, nil},
		{store.ConversationFilter{Number: a.Number}, []string{a.ID}},
	} {
		cs, err := e.s.ListConversations(e.ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		mustEqual(t, ids, tt.want, fmt.Sprintf("filter %+v", tt.f))
	}
}

// testRaceMessageAndClose commits customer messages while an agent closes
// the conversation, again and again: every message lands in one
// conversation, and none lands in a closed conversation behind its close
// notice (where no desk would look).
func testRaceMessageAndClose(t *testing.T, e *env) {
	const rounds = 20
	conv := e.commit(1, 1, []string{"slack"}, text("m0", "hi")).Conversation
	next := int64(2)
	for i := range rounds {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: next, ChatID: 1, Contact: contact(1),
				Messages: []sdk.Message{text(fmt.Sprint("race", i), "x")}, Channels: []string{"slack"}, Time: time.Now()})
			if err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := e.s.ApplyAction(e.ctx, "slack", sdk.Action{Kind: sdk.ActionClose, ConversationID: conv.ID, ExternalID: fmt.Sprint("close", i)}); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		next++
		latest, err := e.s.ConversationByChat(e.ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if latest.State == sdk.StateClosed {
			// The close won the last race after the message: start anew.
			latest = e.commit(next, 1, []string{"slack"}, text(fmt.Sprint("fill", i), "x")).Conversation
			next++
		}
		conv = latest
	}
	got, _ := e.drain()
	seen := map[string]int{}
	for lane, items := range got {
		closed := false
		for _, it := range items {
			switch {
			case it == string(sdk.NoticeConversationClosed):
				closed = true
			case it == string(sdk.NoticeActionIgnored):
			case closed:
				t.Errorf("lane %s: %s after the close (%v)", lane, it, items)
			default:
				seen[it]++
			}
		}
	}
	for i := range rounds {
		if n := seen[fmt.Sprint("race", i)]; n != 1 {
			t.Errorf("race%d delivered %d times", i, n)
		}
	}
}

// ratingQuestion claims the host replies and returns the rating asked,
// completing the question as Telegram message tgID; "" when none.
func (e *env) ratingQuestion(tgID int64) (string, store.OutgoingReply) {
	e.t.Helper()
	for _, r := range e.claimReplies("w", 100, later()) {
		if err := e.s.CompleteReply(e.ctx, r.ID, "w", []int64{tgID}); err != nil {
			e.t.Fatal(err)
		}
		if id, ok := store.RatingOf(r); ok {
			return id, r
		}
	}
	return "", store.OutgoingReply{}
}

func testRating(t *testing.T, e *env) {
	e.s.SetRatingPolicy(store.RatingPolicy{Question: "How did we do?"})
	conv := e.inTwoDesks(1)
	// An idle close does not ask (AfterIdleClose is off), nor does /new.
	if _, err := e.s.CloseConversation(e.ctx, conv.ID, store.Closing{Reason: sdk.CloseByIdle, By: "Parley"}); err != nil {
		t.Fatal(err)
	}
	if id, _ := e.ratingQuestion(1); id != "" {
		t.Fatalf("an idle close asked for rating %s", id)
	}
	e.act("slack", sdk.Action{Kind: sdk.ActionReopen, ConversationID: conv.ID, ExternalID: "re"})
	e.act("slack", sdk.Action{Kind: sdk.ActionClose, ConversationID: conv.ID, ExternalID: "cl", Agent: "Ann"})
	id, q := e.ratingQuestion(900)
	if id == "" || q.Reply.Text != "How did we do?" || q.Conversation.ID != conv.ID {
		t.Fatalf("the agent's close asked %q: %+v", id, q)
	}
	e.drain()

	tap := func(update int64, chat int64, score int, at time.Time) store.RatingResult {
		t.Helper()
		res, err := e.s.RecordRating(e.ctx, store.RatingTap{UpdateID: update, RatingID: id, Score: score, ChatID: chat, Thanks: "Thanks!", Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	now := time.Now()
	for name, res := range map[string]store.RatingResult{
		"another chat's tap": tap(150, 2, 4, now),
		"a score of 9":       tap(151, 1, 9, now),
		"a tap after 8 days": tap(152, 1, 4, now.Add(8*24*time.Hour)),
	} {
		if res.Outcome != store.RatingExpired {
			t.Errorf("%s: %+v, want expired", name, res)
		}
	}
	if res := tap(153, 1, 4, now); res.Outcome != store.Rated || res.ConversationID != conv.ID {
		t.Fatalf("the customer's tap: %+v", res)
	}
	if res := tap(153, 1, 4, now); res.Outcome != store.RatingDuplicate {
		t.Errorf("the same update again: %+v", res)
	}
	if res := tap(154, 1, 2, now); res.Outcome != store.AlreadyRated {
		t.Errorf("a second tap: %+v", res)
	}
	if off, _ := e.s.TelegramOffset(e.ctx, store.DefaultBot); off != 155 {
		t.Errorf("offset %d after the taps, want 155: every tap's update is committed", off)
	}
	got, ds := e.drain()
	mustEqual(t, got, map[string][]string{conv.ID + "/slack": {string(sdk.NoticeRating)}, conv.ID + "/hipchat": {string(sdk.NoticeRating)}}, "rating notices")
	if n := ds[0].Message.Notice; n.Score != 4 || n.Scale != 5 || !strings.Contains(n.Text, "4/5") {
		t.Errorf("rating notice %+v", n)
	}
	rs := e.claimReplies("w", 10, later())
	if len(rs) != 1 || rs[0].Reply.Text != "Thanks!" || rs[0].Reply.EditOf != store.RatingReplyID(id) ||
		len(rs[0].EditOfTelegramMessageIDs) != 1 || rs[0].EditOfTelegramMessageIDs[0] != 900 {
		t.Fatalf("thanks reply: %+v", rs)
	}
	if _, ok := store.RatingOf(rs[0]); ok {
		t.Error("the thanks edit reads as a question")
	}
	if res, err := e.s.RecordRating(e.ctx, store.RatingTap{UpdateID: 60, RatingID: "nope", Score: 3, ChatID: 1}); err != nil || res.Outcome != store.RatingExpired {
		t.Errorf("an unknown rating: %+v, %v", res, err)
	}
}

func testRatingAfterIdle(t *testing.T, e *env) {
	e.s.SetRatingPolicy(store.RatingPolicy{Question: "Rate us", AfterIdleClose: true})
	conv := e.inTwoDesks(1)
	if _, err := e.s.CloseConversation(e.ctx, conv.ID, store.Closing{Reason: sdk.CloseByIdle, By: "Parley"}); err != nil {
		t.Fatal(err)
	}
	if id, q := e.ratingQuestion(1); id == "" || q.Reply.Text != "Rate us" {
		t.Fatalf("an idle close with after_idle_close asked %q: %+v", id, q)
	}
	// The customer's own close never asks.
	second := e.commitPolicy(time.Now(), 2, 1, store.IntakePolicy{}, text("m2", "again")).Conversation
	if _, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: 3, ChatID: 1, CloseCurrent: true, Channels: []string{"slack"}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.s.Conversation(e.ctx, second.ID); c.State != sdk.StateClosed {
		t.Fatalf("/new left %+v", c)
	}
	if id, _ := e.ratingQuestion(2); id != "" {
		t.Errorf("the customer's /new asked for rating %s", id)
	}
}
