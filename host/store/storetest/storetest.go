// Package storetest is the conformance suite every store driver passes.
//
// A driver's test calls Run with a function that opens an empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite uses only the store.Store interface and drives time through
// Inbound.Time and ClaimOptions.Now, so the same checks hold every driver
// to the same behaviour: atomic, idempotent commits; strictly ordered
// lanes; leases that expire and are lost; deduplicated replies.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// Opener returns a new, empty store for one test and arranges its Close
// with t.Cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite, one subtest per behaviour, each on a
// fresh store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"CommitInbound/NewConversation", testNewConversation},
		{"CommitInbound/NumbersAreSequential", testNumbersSequential},
		{"CommitInbound/ExistingConversation", testExistingConversation},
		{"CommitInbound/DuplicateUpdate", testDuplicateUpdate},
		{"CommitInbound/Atomic", testCommitAtomic},
		{"CommitInbound/MessageIDsUnique", testMessageIDsUnique},
		{"CommitInbound/Answer", testAnswer},
		{"TelegramOffset", testTelegramOffset},
		{"CommitInbound/IgnoredUpdate", testIgnoredUpdate},
		{"CommitInbounds/InOrder", testBatchInboundInOrder},
		{"CommitInbounds/Atomic", testBatchInboundAtomic},
		{"Bots/KeyConversations", testBotsKeyConversations},
		{"Bots/Batch", testBotsBatch},
		{"Leadership", testLeadership},
		{"Replicas", testReplicas},

		{"Deliveries/RoundTrip", testDeliveryRoundTrip},
		{"Deliveries/OneHeadPerLane", testOneHeadPerLane},
		{"Deliveries/LaneOrder", testLaneOrder},
		{"Deliveries/LanesInParallel", testLanesInParallel},
		{"Deliveries/FailedRowDoesNotBlockLane", testFailedDoesNotBlock},
		{"Deliveries/LeaseExpiry", testLeaseExpiry},
		{"Deliveries/OwnerFinishesAfterExpiry", testOwnerFinishesAfterExpiry},
		{"Deliveries/FinishChecks", testFinishChecks},
		{"Deliveries/RetrySchedule", testRetrySchedule},
		{"Deliveries/ThreadRef", testThreadRef},
		{"Deliveries/Edits", testDeliveryEdits},
		{"Deliveries/Notices", testNotices},
		{"Deliveries/ClaimOptions", testClaimOptions},
		{"Deliveries/SkipChannels", testSkipChannels},
		{"RetryFailed", testRetryFailed},
		{"Replies/Progress", testReplyProgress},
		{"CompleteDeliveries", testBatchComplete},
		{"Runs/Claim", testRuns},
		{"Runs/StopBeforePendingEdit", testRunStopsBeforePendingEdit},
		{"Runs/Release", testRunRelease},
		{"Runs/AfterExpiry", testRunAfterExpiry},

		{"Replies/ByThreadAndConversation", testRepliesResolve},
		{"Replies/Dedupe", testReplyDedupe},
		{"Replies/UnknownConversation", testReplyUnknownConversation},
		{"Replies/LanesAndLeases", testReplyLanes},
		{"Replies/Edits", testReplyEdits},

		{"Conversations/Blocked", testBlocked},
		{"Conversations/Lookup", testConversationLookup},

		{"Queue", testQueue},
		{"RetryNow", testRetryNow},
		{"Backlog", testBacklog},
		{"Secret/CreatedOnce", testSecretOnce},
		{"Secret/GenError", testSecretGenError},
		{"Ping", testPing},

		{"Concurrency/Claimers", testConcurrentClaimers},
	}
	tests = append(tests, lifecycleTests...)
	tests = append(tests, businessTests...)
	tests = append(tests, reactionTests...)
	tests = append(tests, routingTests...)
	tests = append(tests, hoursTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, &env{t: t, ctx: t.Context(), s: open(t), now: time.Now().UTC().Truncate(time.Second)})
		})
	}
}

// lease is the lease every claim in the suite takes.
const lease = time.Minute

// env is one subtest's store and clock, with helpers that fail the test on
// unexpected errors.
type env struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
	// now is the suite's clock: inbound updates happen at now, claims at
	// now plus an offset.
	now time.Time
}

func (e *env) at(d time.Duration) time.Time { return e.now.Add(d) }

// commit stores an update at e.now with the messages, to the channels.
func (e *env) commit(update, chat int64, channels []string, msgs ...sdk.Message) store.CommitResult {
	e.t.Helper()
	return e.commitAt(e.now, update, chat, channels, msgs...)
}

func (e *env) commitAt(at time.Time, update, chat int64, channels []string, msgs ...sdk.Message) store.CommitResult {
	e.t.Helper()
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{
		UpdateID: update, ChatID: chat, Contact: contact(chat), Messages: msgs, Channels: channels, Time: at,
	})
	if err != nil {
		e.t.Fatalf("CommitInbound(update %d): %v", update, err)
	}
	return res
}

// claim leases deliveries for owner at the given clock time.
func (e *env) claim(owner string, limit int, at time.Time) []store.Delivery {
	e.t.Helper()
	ds, err := e.s.ClaimDeliveries(e.ctx, store.ClaimOptions{Owner: owner, Limit: limit, Lease: lease, Now: at})
	if err != nil {
		e.t.Fatalf("ClaimDeliveries(%s): %v", owner, err)
	}
	return ds
}

// claimOne claims with limit 1 and fails unless it got the message wanted.
func (e *env) claimOne(owner string, at time.Time, wantMessage string) store.Delivery {
	e.t.Helper()
	ds := e.claim(owner, 1, at)
	if len(ds) != 1 || ds[0].Message.ID != wantMessage {
		e.t.Fatalf("claim by %s got %s, want message %s", owner, describe(ds), wantMessage)
	}
	return ds[0]
}

// claimNone fails if owner can claim anything at the given time.
func (e *env) claimNone(owner string, at time.Time, why string) {
	e.t.Helper()
	if ds := e.claim(owner, 100, at); len(ds) != 0 {
		e.t.Fatalf("%s, but %s claimed %s", why, owner, describe(ds))
	}
}

func (e *env) complete(d store.Delivery, owner string, ref []byte, deskID string) {
	e.t.Helper()
	if err := e.s.CompleteDelivery(e.ctx, d.ID, owner, ref, deskID); err != nil {
		e.t.Fatalf("CompleteDelivery(%d): %v", d.ID, err)
	}
}

func (e *env) claimReplies(owner string, limit int, at time.Time) []store.OutgoingReply {
	e.t.Helper()
	rs, err := e.s.ClaimReplies(e.ctx, store.ClaimOptions{Owner: owner, Limit: limit, Lease: lease, Now: at})
	if err != nil {
		e.t.Fatalf("ClaimReplies(%s): %v", owner, err)
	}
	return rs
}

func (e *env) commitReplies(channel string, rs ...sdk.Reply) []store.ReplyResult {
	e.t.Helper()
	res, err := e.s.CommitReplies(e.ctx, channel, rs)
	if err != nil {
		e.t.Fatalf("CommitReplies(%s): %v", channel, err)
	}
	if len(res) != len(rs) {
		e.t.Fatalf("CommitReplies(%s) returned %d results for %d replies", channel, len(res), len(rs))
	}
	return res
}

// later is a clock time past anything the store stamped with its own
// clock (notices, replies, RetryNow), for claims that must see those rows.
func later() time.Time { return time.Now().Add(time.Second) }

func contact(chat int64) sdk.Contact {
	return sdk.Contact{TelegramUserID: chat, FirstName: "User", LastName: fmt.Sprint(chat), Username: fmt.Sprintf("user%d", chat), LanguageCode: "en"}
}

func text(id, s string) sdk.Message {
	return sdk.Message{ID: id, Kind: sdk.KindText, Text: s, Time: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func describe(ds []store.Delivery) string {
	if len(ds) == 0 {
		return "nothing"
	}
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s→%s", d.Message.ID, d.Channel)
	}
	return s
}

func mustErrorIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func mustEqual[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// lanes maps "conversation/channel" to the message claimed in that lane.
func lanes(ds []store.Delivery) map[string]string {
	m := map[string]string{}
	for _, d := range ds {
		m[d.Conversation.ID+"/"+d.Channel] = d.Message.ID
	}
	return m
}
