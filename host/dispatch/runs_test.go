package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
)

// batchDesk takes runs in one call, as a plugin process does, and records
// every call and delivery. Its Deliver is the scripted desk's.
type batchDesk struct {
	desk
	s store.Store

	mu        sync.Mutex
	calls     [][]string // message ids of each batch
	delivered []string
	problems  []string
}

func (b *batchDesk) DeliverBatch(ctx context.Context, req pluginclient.DeliverBatchRequest) pluginclient.DeliverBatchResponse {
	var ids []string
	for _, it := range req.Items {
		ids = append(ids, it.Message.ID)
	}
	b.mu.Lock()
	b.calls = append(b.calls, ids)
	if len(b.delivered) > 0 {
		// Everything the lane delivered before must be recorded done
		// before its next run is handed out.
		done, err := b.s.Queue(ctx, 1000, store.StateDone)
		if err != nil {
			b.problems = append(b.problems, err.Error())
		}
		for _, id := range b.delivered {
			if !slices.ContainsFunc(done, func(r store.QueueRow) bool { return r.MessageID == id }) {
				b.problems = append(b.problems, fmt.Sprintf("run %v handed out before %s was recorded", ids, id))
			}
		}
	}
	b.mu.Unlock()
	resp := pluginclient.DeliverBatch(ctx, b.desk, req) // item by item through Deliver
	b.mu.Lock()
	for i := range resp.Delivered {
		b.delivered = append(b.delivered, ids[i])
	}
	b.mu.Unlock()
	return resp
}

func (b *batchDesk) report(t *testing.T) (calls [][]string, delivered []string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Error(p)
	}
	return slices.Clone(b.calls), slices.Clone(b.delivered)
}

func backlog(t *testing.T, s store.Store, chat int64, n int) []string {
	t.Helper()
	var chats []int64
	var ids []string
	for i := range n {
		chats = append(chats, chat)
		ids = append(ids, fmt.Sprintf("m%03d", i))
	}
	commit(t, s, chats, ids)
	return ids
}

func ok(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	return sdk.DeliverResponse{ThreadRef: []byte("thread"), DeskMessageID: "d-" + req.Message.ID}, nil
}

// A conversation's backlog goes to the desk in runs, one call each, in
// order, each run only after the one before it is recorded.
func TestBacklogGoesOutInRuns(t *testing.T) {
	s := openStore(t)
	ids := backlog(t, s, 1, 100)
	b := &batchDesk{desk: desk{deliver: ok}, s: s}
	run(t, s, b, dispatch.Options{Concurrency: 4, RunLength: 16})
	waitDone(t, s)
	calls, delivered := b.report(t)
	if !slices.Equal(delivered, ids) {
		t.Fatalf("delivered %v, want %v", delivered, ids)
	}
	if len(calls) > 100/16+2 {
		t.Errorf("%d calls for 100 messages in runs of 16: %v", len(calls), calls)
	}
	for _, c := range calls {
		if len(c) > 16 {
			t.Errorf("a run of %d rows, longer than RunLength", len(c))
		}
	}
}

// A failure inside a run: the rows before it are done, it is retried, and
// the rows after it go back to the lane without an attempt counted and
// without waiting for their lease.
func TestRunFailureRetriesFromTheFailedRow(t *testing.T) {
	s := openStore(t)
	ids := backlog(t, s, 1, 10)
	var once sync.Once
	b := &batchDesk{s: s}
	b.desk = desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		var err error
		if req.Message.ID == "m004" {
			once.Do(func() { err = sdk.RetryAfter(errors.New("desk busy"), 20*time.Millisecond) })
		}
		if err != nil {
			return sdk.DeliverResponse{}, err
		}
		return ok(ctx, req)
	}}
	run(t, s, b, dispatch.Options{Concurrency: 4, RunLength: 32, Lease: time.Hour})
	waitDone(t, s)
	calls, delivered := b.report(t)
	if !slices.Equal(delivered, ids) {
		t.Fatalf("delivered %v, want %v", delivered, ids)
	}
	if len(calls) != 2 || !slices.Equal(calls[0], ids) || !slices.Equal(calls[1], ids[4:]) {
		t.Errorf("calls %v: want the whole run, then the run from the failed row", calls)
	}
	rows, err := s.Queue(t.Context(), 100, store.StateDone)
	if err != nil {
		t.Fatal(err)
	}
	// Attempts counts failed attempts.
	for _, r := range rows {
		want := 0
		if r.MessageID == "m004" {
			want = 1
		}
		if r.Attempts != want {
			t.Errorf("%s: %d failed attempts recorded, want %d", r.MessageID, r.Attempts, want)
		}
	}
}

// A run to a slow desk stops starting rows when its budget runs out; the
// rest of the run goes back to the lane and follows at once.
func TestRunBudgetGivesBackTheRest(t *testing.T) {
	s := openStore(t)
	ids := backlog(t, s, 1, 8)
	b := &batchDesk{s: s, desk: desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		time.Sleep(20 * time.Millisecond) // a slow desk: the latency is what exhausts the run's budget
		return ok(ctx, req)
	}}}
	run(t, s, b, dispatch.Options{Concurrency: 4, RunLength: 32, RunBudget: 30 * time.Millisecond, Lease: time.Hour})
	waitDone(t, s)
	calls, delivered := b.report(t)
	if !slices.Equal(delivered, ids) {
		t.Fatalf("delivered %v, want %v", delivered, ids)
	}
	if len(calls) < 2 {
		t.Errorf("calls %v: a 30ms budget cannot hold eight 20ms deliveries", calls)
	}
}
