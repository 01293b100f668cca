package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// Replicas starting together on an empty database apply each migration
// once, and all of them come up.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	db := newDatabase(t)
	const replicas = 5
	logs := newLockedWriter()
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() {
			s, err := Open(t.Context(), db, Options{Logger: testLogger(logs), MaxConns: 2})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %v", files, err)
	}
	if n := strings.Count(logs.String(), "applied database migration"); n != len(files) {
		t.Errorf("%d migrations applied across %d replicas, want %d:\n%s", n, replicas, len(files), logs)
	}
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	rows, _ := conn.Query(t.Context(), `SELECT version_id, COUNT(*) FROM goose_db_version WHERE version_id > 0 GROUP BY version_id`)
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Version, N int64 }])
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(files) {
		t.Errorf("versions recorded: %+v, want %d", counts, len(files))
	}
	for _, c := range counts {
		if c.N != 1 {
			t.Errorf("version %d recorded %d times", c.Version, c.N)
		}
	}
}

// The file-link signing key is made once and every replica reads the same
// value, so a link signed on one verifies on all.
func TestSecretSharedAcrossReplicas(t *testing.T) {
	db := newDatabase(t)
	stores := []*Store{open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})}
	var calls atomic.Int32
	gen := func() ([]byte, error) {
		n := calls.Add(1)
		time.Sleep(10 * time.Millisecond) // widen the race between replicas
		return fmt.Appendf(nil, "key-%d", n), nil
	}
	var wg sync.WaitGroup
	values := make([][]byte, 3*4)
	errs := make([]error, len(values))
	for i := range values {
		wg.Go(func() { values[i], errs[i] = stores[i%3].Secret(t.Context(), "filelink", gen) })
	}
	wg.Wait()
	for i := range values {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if string(values[i]) != string(values[0]) {
			t.Fatalf("caller %d got %q, caller 0 got %q", i, values[i], values[0])
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the secret was generated %d times across replicas, want once", n)
	}
}

// Three replicas (three pools on one database) work one outbox and one
// reply queue at once: every row is delivered exactly once, a lane never
// has two rows in flight, and each lane is delivered in order.
func TestReplicasShareTheQueues(t *testing.T) {
	db := newDatabase(t)
	stores := []*Store{open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	const (
		conversations = 20
		perLane       = 15
	)
	channels := []string{"slack", "helpscout"}
	update := int64(0)
	for seq := range perLane {
		for c := range conversations {
			update++
			// Writers on different replicas interleave, as intake and
			// notices do.
			s := stores[int(update)%len(stores)]
			_, err := s.CommitInbound(ctx, store.Inbound{UpdateID: update, ChatID: int64(c + 1), Channels: channels,
				Messages: []sdk.Message{{ID: fmt.Sprintf("c%02d-%03d", c, seq), Kind: sdk.KindText, Text: "hi"}},
				Answer:   &sdk.Reply{ExternalID: fmt.Sprintf("a%02d-%03d", c, seq), Text: "noted"}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	wantDeliveries := int64(conversations * perLane * len(channels))
	wantReplies := int64(conversations * perLane)

	var (
		mu       sync.Mutex
		inFlight = map[string]string{}   // lane → row
		order    = map[string][]string{} // lane → rows in claim order
		times    = map[string]int{}      // row → claims
		done     atomic.Int64
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		cancel()
	}
	begin := func(owner, lane, row string) {
		mu.Lock()
		defer mu.Unlock()
		if other, busy := inFlight[lane]; busy {
			fail("%s claimed %s while %s of the same lane is in flight", owner, row, other)
		}
		inFlight[lane] = row
		order[lane] = append(order[lane], row)
		times[row]++
	}
	end := func(lane string) {
		mu.Lock()
		delete(inFlight, lane)
		mu.Unlock()
	}
	for r, s := range stores {
		for w := range 3 {
			owner := fmt.Sprintf("replica-%d/worker-%d", r, w)
			wg.Go(func() {
				for done.Load() < wantDeliveries+wantReplies && ctx.Err() == nil {
					opt := store.ClaimOptions{Owner: owner, Limit: 3, Lease: time.Hour}
					ds, err := s.ClaimDeliveries(ctx, opt)
					if err != nil {
						if ctx.Err() == nil {
							fail("%s: claim deliveries: %v", owner, err)
						}
						return
					}
					rs, err := s.ClaimReplies(ctx, opt)
					if err != nil {
						if ctx.Err() == nil {
							fail("%s: claim replies: %v", owner, err)
						}
						return
					}
					if len(ds)+len(rs) == 0 {
						time.Sleep(time.Millisecond) // a worker's idle pause: nothing to claim yet
						continue
					}
					for _, d := range ds {
						begin(owner, d.Conversation.ID+"/"+d.Channel, d.Message.ID+"→"+d.Channel)
					}
					for _, r := range rs {
						begin(owner, "reply/"+r.Conversation.ID, r.Reply.ExternalID)
					}
					for _, d := range ds {
						end(d.Conversation.ID + "/" + d.Channel)
						if err := s.CompleteDelivery(ctx, d.ID, owner, []byte("thread"), "desk-id"); err != nil {
							if ctx.Err() == nil {
								fail("%s: complete delivery %d: %v", owner, d.ID, err)
							}
							return
						}
						done.Add(1)
					}
					for _, r := range rs {
						end("reply/" + r.Conversation.ID)
						if err := s.CompleteReply(ctx, r.ID, owner, []int64{r.ID}); err != nil {
							if ctx.Err() == nil {
								fail("%s: complete reply %d: %v", owner, r.ID, err)
							}
							return
						}
						done.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if ctx.Err() != nil {
		t.Fatalf("replicas finished %d of %d rows before the deadline", done.Load(), wantDeliveries+wantReplies)
	}
	if int64(len(times)) != wantDeliveries+wantReplies {
		t.Fatalf("%d distinct rows worked, want %d", len(times), wantDeliveries+wantReplies)
	}
	for row, n := range times {
		if n != 1 {
			t.Errorf("%s worked %d times", row, n)
		}
	}
	if want := conversations * (len(channels) + 1); len(order) != want {
		t.Fatalf("%d lanes seen, want %d", len(order), want)
	}
	for lane, rows := range order {
		for i, row := range rows {
			if want := fmt.Sprintf("-%03d", i); !strings.Contains(row, want) {
				t.Fatalf("lane %s worked %v: out of order at %d", lane, rows, i)
			}
		}
	}
}

// A replica that dies mid-delivery holds its lanes only until its leases
// run out; then another replica takes them over in order, and the dead
// one's late answer is refused.
func TestDeadReplicaHandsOverItsLanes(t *testing.T) {
	db := newDatabase(t)
	dying, survivor := open(t, db, Options{}), open(t, db, Options{})
	ctx := t.Context()
	_, err := survivor.CommitInbound(ctx, store.Inbound{UpdateID: 1, ChatID: 9, Channels: []string{"slack"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "one"}, {ID: "m2", Kind: sdk.KindText, Text: "two"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claim := func(s *Store, owner string, at time.Time) []store.Delivery {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: owner, Limit: 10, Lease: time.Minute, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	ds := claim(dying, "dying", now)
	if len(ds) != 1 || ds[0].Message.ID != "m1" {
		t.Fatalf("the first replica claimed %+v, want m1", ds)
	}
	if err := dying.Close(); err != nil { // dies holding m1
		t.Fatal(err)
	}
	if got := claim(survivor, "survivor", now.Add(30*time.Second)); len(got) != 0 {
		t.Fatalf("while the lease is live the survivor claimed %s", got[0].Message.ID)
	}
	got := claim(survivor, "survivor", now.Add(2*time.Minute))
	if len(got) != 1 || got[0].Message.ID != "m1" || got[0].ID != ds[0].ID {
		t.Fatalf("after the lease ran out the survivor claimed %+v, want m1 again", got)
	}
	if err := survivor.CompleteDelivery(ctx, ds[0].ID, "dying", nil, ""); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the dead replica's late completion: %v, want ErrLeaseLost", err)
	}
	if err := survivor.CompleteDelivery(ctx, got[0].ID, "survivor", nil, ""); err != nil {
		t.Fatal(err)
	}
	if next := claim(survivor, "survivor", now.Add(2*time.Minute)); len(next) != 1 || next[0].Message.ID != "m2" {
		t.Fatalf("then the survivor claimed %+v, want m2", next)
	}
}
