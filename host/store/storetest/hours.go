package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// hoursTests cover business hours: the away message's throttle and the
// outside-hours mark on stored messages.
var hoursTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"Hours/AwayOncePerEvery", testAwayOncePerEvery},
	{"Hours/NoAwayWhileAgentTalks", testNoAwayWhileAgentTalks},
	{"Hours/AwayOncePerBatch", testAwayOncePerBatch},
	{"Hours/OutsideHoursStored", testOutsideHoursStored},
}

// away is the store's side of an away message at at.
func away(update int64, at time.Time) *store.Away {
	return &store.Away{Reply: sdk.Reply{ExternalID: fmt.Sprintf("away:%d", update), Text: "We're away.", Format: sdk.FormatPlain},
		At: at, Every: 12 * time.Hour, AgentQuiet: 15 * time.Minute}
}

// commitOutside commits a message of chat outside business hours at the
// host's time at.
func (e *env) commitOutside(update, chat int64, at time.Time) store.CommitResult {
	e.t.Helper()
	m := text(fmt.Sprintf("m%d", update), "hello?")
	m.OutsideHours = true
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: update, ChatID: chat, Contact: contact(chat),
		Messages: []sdk.Message{m}, Channels: []string{"slack"}, Time: e.now, Away: away(update, at)})
	if err != nil {
		e.t.Fatalf("CommitInbound(update %d): %v", update, err)
	}
	return res
}

// awayMessages lists the external ids of the host replies queued, oldest
// first.
func (e *env) awayMessages() []string {
	e.t.Helper()
	rows, err := e.s.Queue(e.ctx, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Kind == "reply" && r.Channel == "" {
			out = append(out, r.MessageID)
		}
	}
	slices.Reverse(out)
	return out
}

func testAwayOncePerEvery(t *testing.T, e *env) {
	e.commitOutside(1, 7, e.now)
	e.commitOutside(2, 7, e.now.Add(time.Hour))
	e.commitOutside(3, 7, e.now.Add(12*time.Hour-time.Second))
	mustEqual(t, e.awayMessages(), []string{"away:1"}, "away messages within away_every")
	e.commitOutside(4, 7, e.now.Add(12*time.Hour))
	e.commitOutside(5, 8, e.now.Add(12*time.Hour)) // another conversation has its own throttle
	mustEqual(t, e.awayMessages(), []string{"away:1", "away:4", "away:5"}, "away messages after away_every")
	// The away message is the customer's to read: a host reply in their conversation.
	rs := e.claimReplies("w", 10, later())
	if len(rs) != 2 || rs[0].Channel != "" || rs[0].Reply.Text != "We're away." || rs[0].Conversation.ChatID != 7 {
		t.Errorf("claimed %+v", rs)
	}
	// A redelivered update queues nothing again.
	e.commitOutside(4, 7, e.now.Add(48*time.Hour))
	mustEqual(t, e.awayMessages(), []string{"away:1", "away:4", "away:5"}, "away messages after a redelivery")
}

func testNoAwayWhileAgentTalks(t *testing.T, e *env) {
	res := e.commit(1, 7, []string{"slack"}, text("m1", "hi"))
	e.commitReplies("slack", sdk.Reply{ConversationID: res.Conversation.ID, ExternalID: "r1", Text: "Hello, how can I help?"})
	// CommitReplies stamps the reply with the store's clock: now.
	now := time.Now()
	e.commitOutside(2, 7, now.Add(time.Minute))
	e.commitOutside(3, 7, now.Add(14*time.Minute))
	mustEqual(t, e.awayMessages(), []string(nil), "away messages while the agent talks")
	e.commitOutside(4, 7, now.Add(16*time.Minute))
	mustEqual(t, e.awayMessages(), []string{"away:4"}, "away messages once the agent was quiet")
}

func testAwayOncePerBatch(t *testing.T, e *env) {
	b, ok := e.s.(store.InboundBatcher)
	if !ok {
		t.Skip("the store commits update by update")
	}
	var ins []store.Inbound
	for u := int64(1); u <= 3; u++ {
		m := text(fmt.Sprintf("m%d", u), "hello?")
		m.OutsideHours = true
		ins = append(ins, store.Inbound{UpdateID: u, ChatID: 7, Contact: contact(7), Messages: []sdk.Message{m},
			Channels: []string{"slack"}, Time: e.now, Away: away(u, e.now)})
	}
	if _, err := b.CommitInbounds(e.ctx, ins); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, e.awayMessages(), []string{"away:1"}, "away messages of a batch starting a conversation")
}

func testOutsideHoursStored(t *testing.T, e *env) {
	e.commitOutside(1, 7, e.now)
	e.commit(2, 7, []string{"slack"}, text("m2", "inside"))
	d := e.claimOne("w", later(), "m1")
	if !d.Message.OutsideHours {
		t.Error("the delivery lost OutsideHours")
	}
	e.complete(d, "w", []byte("T"), "d1")
	if d := e.claimOne("w", later(), "m2"); d.Message.OutsideHours {
		t.Error("a message inside hours is marked outside them")
	}
}
