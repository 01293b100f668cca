package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// checkHeads fails the test unless delivery_heads names the oldest
// pending row of every lane that has one, and nothing for the others.
func checkHeads(t *testing.T, s *Store, step string) {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `
		SELECT l.conversation_id, l.channel, l.head, h.head_id
		FROM (SELECT conversation_id, channel, MIN(id) FILTER (WHERE state = 'pending') AS head
		      FROM deliveries GROUP BY conversation_id, channel) l
		FULL JOIN delivery_heads h USING (conversation_id, channel)
		WHERE l.head IS DISTINCT FROM h.head_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var conv, ch *string
		var want, got *int64
		if err := rows.Scan(&conv, &ch, &want, &got); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s: lane %v/%v heads at delivery %v, delivery_heads says %v", step, deref(conv), deref(ch), deref(want), deref(got))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestDeliveryHeadsFollowTheLanes drives the outbox through every kind of
// change (batches of new messages, claims of runs, completions in groups,
// retries, failures, releases, an operator's retry of failed and pending
// rows, a lease running out) and checks after each step that
// delivery_heads, which the claim walks, names exactly the oldest pending
// row of every lane.
func TestDeliveryHeadsFollowTheLanes(t *testing.T) {
	s := open(t, newDatabase(t), Options{})
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(1, 2))
	channels := []string{"slack", "helpscout"}
	now := time.Now()
	var failed, pending []int64
	update, msg := int64(0), 0
	for step := range 400 {
		var what string
		switch op := rng.IntN(12); {
		case op < 4:
			what = "intake"
			var ins []store.Inbound
			for range 1 + rng.IntN(4) {
				update++
				msgs := make([]sdk.Message, 1+rng.IntN(3))
				for i := range msgs {
					msg++
					msgs[i] = sdk.Message{ID: fmt.Sprintf("m%d", msg), Kind: sdk.KindText, Text: "hi"}
				}
				ins = append(ins, store.Inbound{UpdateID: update, ChatID: 1 + rng.Int64N(5), Messages: msgs, Channels: channels, Time: now})
			}
			if _, err := s.CommitInbounds(ctx, ins); err != nil {
				t.Fatal(err)
			}
		case op < 10:
			what = "claim"
			at := now.Add(time.Hour)
			if rng.IntN(5) == 0 {
				at = now.Add(24 * time.Hour) // other workers' leases have run out
			}
			owner := fmt.Sprint("w", rng.IntN(2))
			ds, err := s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: owner, Limit: 1 + rng.IntN(4), Lease: time.Minute, Now: at}, 1+rng.IntN(4))
			if err != nil {
				t.Fatal(err)
			}
			var done []store.Completion
			for i, d := range ds {
				switch rng.IntN(6) {
				case 0:
					err = s.RetryDelivery(ctx, d.ID, owner, now, "try again")
					pending = append(pending, d.ID)
				case 1:
					err = s.FailDelivery(ctx, d.ID, owner, "gone")
					failed = append(failed, d.ID)
				case 2:
					err = s.ReleaseDeliveries(ctx, owner, []int64{d.ID})
				case 3:
					if i == 0 {
						continue // left leased: its lease runs out
					}
					fallthrough
				default:
					done = append(done, store.Completion{ID: d.ID, DeskMessageID: "desk"})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(done) > 0 {
				if _, err := s.CompleteDeliveries(ctx, owner, done); err != nil {
					t.Fatal(err)
				}
			}
		default:
			what = "operator retry"
			ids := &failed
			if rng.IntN(3) == 0 {
				ids = &pending
			}
			if len(*ids) == 0 {
				continue
			}
			i := rng.IntN(len(*ids))
			// A pending row may have been completed since: only pending
			// and failed rows can be retried.
			_ = s.RetryNow(ctx, "delivery", (*ids)[i])
			*ids = slices.Delete(*ids, i, i+1)
		}
		checkHeads(t, s, fmt.Sprintf("step %d (%s)", step, what))
		if t.Failed() {
			t.FailNow()
		}
	}
}

// Intake, completions, failures and an operator's retries of the same lanes
// run at once on three replicas: the heads stay right, so every message is
// delivered, each once and in lane order. It is the race the lane rows'
// locks are there for: a head recomputed while a new row of its lane is not
// yet committed must not leave the lane without a head.
func TestDeliveryHeadsUnderConcurrentWriters(t *testing.T) {
	db := newDatabase(t)
	stores := []*Store{open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const (
		chats   = 4
		batches = 60
		perMsg  = 2 // messages per update
	)
	channels := []string{"slack", "helpscout"}
	want := int64(chats * batches * perMsg * len(channels))

	var (
		mu        sync.Mutex
		delivered = map[string]int{}     // message/channel → deliveries
		order     = map[string][]int64{} // lane → delivery ids in order
		done      atomic.Int64
		intakeErr error
		wg        sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		cancel()
	}
	wg.Go(func() {
		update := int64(0)
		for b := range batches {
			var ins []store.Inbound
			for c := range chats {
				update++
				msgs := make([]sdk.Message, perMsg)
				for i := range msgs {
					msgs[i] = sdk.Message{ID: fmt.Sprintf("b%03d-c%d-%d", b, c, i), Kind: sdk.KindText, Text: "hi"}
				}
				ins = append(ins, store.Inbound{UpdateID: update, ChatID: int64(c + 1), Messages: msgs, Channels: channels})
			}
			if _, err := stores[b%len(stores)].CommitInbounds(ctx, ins); err != nil {
				intakeErr = err
				cancel()
				return
			}
		}
	})
	for r, s := range stores {
		wg.Go(func() {
			owner := fmt.Sprint("replica-", r)
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for done.Load() < want && ctx.Err() == nil {
				ds, err := s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: owner, Limit: 4, Lease: time.Hour}, 3)
				if err != nil {
					if ctx.Err() == nil {
						fail("%s: claim: %v", owner, err)
					}
					return
				}
				if len(ds) == 0 {
					time.Sleep(time.Millisecond) // a worker's idle pause: nothing to claim yet
					continue
				}
				// Work each run in order; a failure (put back by an operator
				// at once) gives the rest of its run back untouched.
				var cs []store.Completion
				for i := 0; i < len(ds); {
					j := i + 1
					for j < len(ds) && ds[j].Conversation.ID == ds[i].Conversation.ID && ds[j].Channel == ds[i].Channel {
						j++
					}
					for k, d := range ds[i:j] {
						if rng.IntN(8) == 0 {
							if err := s.FailDelivery(ctx, d.ID, owner, "flaky"); err != nil {
								fail("fail: %v", err)
								return
							}
							if err := s.RetryNow(ctx, "delivery", d.ID); err != nil {
								fail("retry now: %v", err)
								return
							}
							var rest []int64
							for _, r := range ds[i+k+1 : j] {
								rest = append(rest, r.ID)
							}
							if err := s.ReleaseDeliveries(ctx, owner, rest); err != nil {
								fail("release: %v", err)
								return
							}
							break
						}
						mu.Lock()
						lane := d.Conversation.ID + "/" + d.Channel
						order[lane] = append(order[lane], d.ID)
						delivered[d.Message.ID+"/"+d.Channel]++
						mu.Unlock()
						cs = append(cs, store.Completion{ID: d.ID, DeskMessageID: "desk-" + d.Message.ID})
					}
					i = j
				}
				if len(cs) > 0 {
					errs, err := s.CompleteDeliveries(ctx, owner, cs)
					if err != nil {
						fail("complete: %v", err)
						return
					}
					for i, e := range errs {
						if e != nil {
							fail("complete %d: %v", cs[i].ID, e)
						}
					}
					done.Add(int64(len(cs)))
				}
			}
		})
	}
	wg.Wait()
	if intakeErr != nil {
		t.Fatal(intakeErr)
	}
	if t.Failed() {
		return
	}
	if n := done.Load(); n != want {
		t.Fatalf("%d of %d deliveries done before the deadline", n, want)
	}
	for m, n := range delivered {
		if n != 1 {
			t.Errorf("%s delivered %d times", m, n)
		}
	}
	for lane, ids := range order {
		if !slices.IsSorted(ids) {
			t.Errorf("lane %s delivered out of order: %v", lane, ids)
		}
	}
	checkHeads(t, stores[0], "after the run")
}

// Changes made by hand in psql keep the heads right too: a pending row
// deleted, a lane's rows moved to another channel, the outbox truncated;
// and the statement in migration 00003's comment rebuilds heads lost with
// triggers disabled.
func TestDeliveryHeadsSurviveManualChanges(t *testing.T) {
	s := open(t, newDatabase(t), Options{})
	ctx := t.Context()
	commit := func(update, chat int64, ids ...string) {
		t.Helper()
		var msgs []sdk.Message
		for _, id := range ids {
			msgs = append(msgs, sdk.Message{ID: id, Kind: sdk.KindText, Text: "hi"})
		}
		if _, err := s.CommitInbound(ctx, store.Inbound{UpdateID: update, ChatID: chat, Messages: msgs, Channels: []string{"slack"}}); err != nil {
			t.Fatal(err)
		}
	}
	sql := func(statements ...string) {
		t.Helper()
		for _, q := range statements {
			if _, err := s.pool.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	commit(1, 1, "a1", "a2", "a3")
	commit(2, 2, "b1", "b2")
	sql(`DELETE FROM deliveries WHERE message_id = 'a1'`)
	checkHeads(t, s, "a head deleted")
	sql(`UPDATE deliveries SET channel = 'helpscout' WHERE message_id = 'b1'`)
	checkHeads(t, s, "a head moved to another lane")
	sql(`BEGIN; SET LOCAL session_replication_role = replica; UPDATE deliveries SET state = 'done' WHERE message_id = 'a2'; COMMIT`)
	sql(`SELECT delivery_heads_refresh(array_agg(conversation_id ORDER BY conversation_id, channel),
		array_agg(channel ORDER BY conversation_id, channel))
		FROM (SELECT DISTINCT conversation_id, channel FROM deliveries) l`)
	checkHeads(t, s, "rebuilt after a change with triggers disabled")
	sql(`TRUNCATE deliveries`)
	checkHeads(t, s, "the outbox truncated")
	commit(3, 1, "a4")
	checkHeads(t, s, "a message after the truncation")
	ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Minute})
	if err != nil || len(ds) != 1 || ds[0].Message.ID != "a4" {
		t.Fatalf("claimed %v (%v), want a4", ds, err)
	}
}
