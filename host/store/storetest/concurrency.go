package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// testConcurrentClaimers runs several workers against one store: every
// delivery must be made exactly once, each lane in order and never two of
// a lane at the same time.
func testConcurrentClaimers(t *testing.T, e *env) {
	const (
		conversations = 50
		perLane       = 40 // 2,000 deliveries
		perUpdate     = 10
		workers       = 8
	)
	// Commit round-robin over conversations so lanes interleave in id order.
	update := int64(0)
	for batch := range perLane / perUpdate {
		for c := range conversations {
			update++
			var msgs []sdk.Message
			for i := range perUpdate {
				seq := batch*perUpdate + i
				msgs = append(msgs, text(fmt.Sprintf("c%d-%03d", c, seq), fmt.Sprint(seq)))
			}
			e.commit(update, int64(c+1), []string{"slack"}, msgs...)
		}
	}

	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
	defer cancel()
	var (
		mu       sync.Mutex
		inFlight = map[string]string{}   // lane → message
		order    = map[string][]string{} // lane → messages in claim order
		times    = map[string]int{}      // message → deliveries
		done     atomic.Int64
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		cancel()
	}
	for w := range workers {
		owner := fmt.Sprintf("worker-%d", w)
		wg.Go(func() {
			for done.Load() < conversations*perLane && ctx.Err() == nil {
				ds, err := e.s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: owner, Limit: 4, Lease: time.Hour})
				if err != nil {
					if ctx.Err() == nil {
						fail("%s: claim: %v", owner, err)
					}
					return
				}
				if len(ds) == 0 {
					time.Sleep(time.Millisecond)
					continue
				}
				for _, d := range ds {
					lane := d.Conversation.ID + "/" + d.Channel
					mu.Lock()
					if other, busy := inFlight[lane]; busy {
						fail("%s claimed %s while %s of the same lane is in flight", owner, d.Message.ID, other)
					}
					inFlight[lane] = d.Message.ID
					order[lane] = append(order[lane], d.Message.ID)
					times[d.Message.ID]++
					mu.Unlock()
				}
				for _, d := range ds {
					mu.Lock()
					delete(inFlight, d.Conversation.ID+"/"+d.Channel)
					mu.Unlock()
					if err := e.s.CompleteDelivery(ctx, d.ID, owner, nil, ""); err != nil {
						if ctx.Err() == nil {
							fail("%s: complete %d: %v", owner, d.ID, err)
						}
						return
					}
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil && !t.Failed() {
		t.Fatalf("workers delivered %d of %d before the deadline", done.Load(), conversations*perLane)
	}
	if t.Failed() {
		return
	}
	if len(times) != conversations*perLane {
		t.Fatalf("%d distinct messages delivered, want %d", len(times), conversations*perLane)
	}
	for id, n := range times {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	if len(order) != conversations {
		t.Fatalf("%d lanes seen, want %d", len(order), conversations)
	}
	for lane, ids := range order {
		for i, id := range ids {
			if want := fmt.Sprintf("%03d", i); id[len(id)-3:] != want {
				t.Fatalf("lane %s delivered %v: out of order at %d", lane, ids, i)
			}
		}
	}
}
