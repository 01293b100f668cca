package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// A group commit whose transaction fails records none of its completions:
// the group is one statement.
func TestCompleteDeliveriesAllOrNothing(t *testing.T) {
	db := newDatabase(t)
	s := open(t, db, Options{})
	ctx := t.Context()
	for chat := int64(1); chat <= 2; chat++ {
		_, err := s.CommitInbound(ctx, store.Inbound{UpdateID: chat, ChatID: chat, Channels: []string{"slack"},
			Messages: []sdk.Message{{ID: fmt.Sprint("m", chat), Kind: sdk.KindText, Text: "hi"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Minute})
	if err != nil || len(ds) != 2 {
		t.Fatalf("claimed %d deliveries (%v), want 2", len(ds), err)
	}
	// The database refuses the second completion, as a full disk would.
	exec(t, db, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.desk_message_id = 'refused' THEN RAISE EXCEPTION 'refused by the test'; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER refuse BEFORE UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION refuse()`)
	_, err = s.CompleteDeliveries(ctx, "w", []store.Completion{
		{ID: ds[0].ID, ThreadRef: []byte("thread"), DeskMessageID: "desk"},
		{ID: ds[1].ID, DeskMessageID: "refused"},
	})
	if err == nil || !strings.Contains(err.Error(), "refused by the test") {
		t.Fatalf("a refused group commit: error %v, want the database's", err)
	}
	// Had the first completion been kept, w would no longer hold the row.
	if err := s.CompleteDelivery(ctx, ds[0].ID, "w", nil, "desk"); err != nil {
		t.Fatalf("completing the first row again: %v", err)
	}
	var lanes int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM lanes`).Scan(&lanes); err != nil || lanes != 0 {
		t.Fatalf("%d lanes stored (%v), want none: the thread came with the refused commit", lanes, err)
	}
}

// Three replicas (three pools on one database) work one outbox a run at a
// time, completing in groups and cutting some runs short: every row is
// delivered exactly once, in lane order, a lane is never worked by two
// workers at once, and an edit goes out only after its original, with the
// original's desk id.
func TestReplicasShareRuns(t *testing.T) {
	db := newDatabase(t)
	stores := []*Store{open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	const (
		conversations = 12
		perLane       = 30
		run           = 4
	)
	channels := []string{"slack", "helpscout"}
	msgID := func(c, seq int) string { return fmt.Sprintf("c%02d-%03d", c, seq) }
	update := int64(0)
	for seq := 0; seq < perLane; seq += 3 {
		for c := range conversations {
			update++
			var msgs []sdk.Message
			for k := seq; k < seq+3; k++ {
				m := sdk.Message{ID: msgID(c, k), Kind: sdk.KindText, Text: "hi"}
				if k%5 == 3 { // every fifth message edits the one before
					m.EditOf = msgID(c, k-1)
				}
				msgs = append(msgs, m)
			}
			if _, err := stores[int(update)%len(stores)].CommitInbound(ctx, store.Inbound{UpdateID: update,
				ChatID: int64(c + 1), Channels: channels, Messages: msgs}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := int64(conversations * perLane * len(channels))

	var (
		mu       sync.Mutex
		inFlight = map[string]string{}   // lane → worker
		order    = map[string][]string{} // lane → messages in delivery order
		times    = map[string]int{}      // message→channel → deliveries
		done     atomic.Int64
		cuts     atomic.Int64
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		cancel()
	}
	for r, s := range stores {
		for w := range 2 {
			owner := fmt.Sprintf("replica-%d/worker-%d", r, w)
			wg.Go(func() {
				for claims := 0; done.Load() < want && ctx.Err() == nil; claims++ {
					ds, err := s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: owner, Limit: 3, Lease: time.Hour}, run)
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
					// Split the claim into runs, checking their shape.
					var runs [][]store.Delivery
					for i, d := range ds {
						if i == 0 || d.Conversation.ID != ds[i-1].Conversation.ID || d.Channel != ds[i-1].Channel {
							runs = append(runs, nil)
						} else if d.ID <= ds[i-1].ID || string(d.ThreadRef) != string(ds[i-1].ThreadRef) {
							fail("%s: run row %d after %d, thread %q after %q", owner, d.ID, ds[i-1].ID, d.ThreadRef, ds[i-1].ThreadRef)
						}
						runs[len(runs)-1] = append(runs[len(runs)-1], d)
					}
					mu.Lock()
					for _, rn := range runs {
						lane := rn[0].Conversation.ID + "/" + rn[0].Channel
						if other, busy := inFlight[lane]; busy {
							fail("%s claimed lane %s while %s works it", owner, lane, other)
						}
						inFlight[lane] = owner
					}
					mu.Unlock()
					// Round i delivers row i of every run, then completes them
					// in one group; some runs are cut short after a row.
					for i := 0; len(runs) > 0; i++ {
						var cs []store.Completion
						var rest [][]store.Delivery
						var release []int64
						mu.Lock()
						for k, rn := range runs {
							d := rn[i]
							lane := d.Conversation.ID + "/" + d.Channel
							order[lane] = append(order[lane], d.Message.ID)
							times[d.Message.ID+"→"+d.Channel]++
							if d.Message.EditOf != "" && d.EditOfDeskMessageID != "desk-"+d.Message.EditOf {
								fail("%s: edit %s went out with original desk id %q", owner, d.Message.ID, d.EditOfDeskMessageID)
							}
							cs = append(cs, store.Completion{ID: d.ID, ThreadRef: []byte("thread-" + lane), DeskMessageID: "desk-" + d.Message.ID})
							cut := (claims+k)%5 == 0 && i+1 < len(rn)
							switch {
							case cut:
								cuts.Add(1)
								for _, f := range rn[i+1:] {
									release = append(release, f.ID)
								}
								delete(inFlight, lane) // freed by the release below
							case i+1 < len(rn):
								rest = append(rest, rn)
							default:
								delete(inFlight, lane) // freed by this completion
							}
						}
						mu.Unlock()
						errs, err := s.CompleteDeliveries(ctx, owner, cs)
						if err == nil {
							err = errors.Join(errs...)
						}
						if err != nil {
							if ctx.Err() == nil {
								fail("%s: complete: %v", owner, err)
							}
							return
						}
						done.Add(int64(len(cs)))
						if err := s.ReleaseDeliveries(ctx, owner, release); err != nil {
							if ctx.Err() == nil {
								fail("%s: release: %v", owner, err)
							}
							return
						}
						runs = rest
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
		t.Fatalf("replicas delivered %d of %d rows before the deadline", done.Load(), want)
	}
	if int64(len(times)) != want {
		t.Fatalf("%d distinct rows delivered, want %d", len(times), want)
	}
	for row, n := range times {
		if n != 1 {
			t.Errorf("%s delivered %d times", row, n)
		}
	}
	for lane, ids := range order {
		for i, id := range ids {
			if want := fmt.Sprintf("-%03d", i); !strings.HasSuffix(id, want) {
				t.Fatalf("lane %s delivered %v: out of order at %d", lane, ids, i)
			}
		}
	}
	if cuts.Load() == 0 {
		t.Error("no run was cut short; the test did not exercise ReleaseDeliveries")
	}
}

// A text holding NUL is stored as the \u0000 escape, which PostgreSQL's
// json operators refuse: it must neither break a run's claim nor hide an
// edit from it, whatever backslashes the texts and ids hold.
func TestRunsReadPayloadsWithNUL(t *testing.T) {
	s := open(t, newDatabase(t), Options{})
	ctx := t.Context()
	msgs := []sdk.Message{
		{ID: "m1", Kind: sdk.KindText, Text: "a\x00b"},
		{ID: `m\2`, Kind: sdk.KindText, Text: `typed \u0000, then \` + "\x00"},
		{ID: `m\2-edit`, Kind: sdk.KindText, Text: "fixed\x00", EditOf: `m\2`},
		{ID: "m3", Kind: sdk.KindText, Text: `\\u0000`},
	}
	if _, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 1, ChatID: 1, Channels: []string{"slack"}, Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	claim := func(want ...string) []store.Delivery {
		t.Helper()
		ds, err := s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Minute}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.Message.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("claimed %q, want %q", got, want)
		}
		return ds
	}
	ds := claim("m1", `m\2`)
	for i, d := range ds {
		if d.Message.Text != msgs[i].Text {
			t.Errorf("%s's text came back as %q, want %q", d.Message.ID, d.Message.Text, msgs[i].Text)
		}
		if err := s.CompleteDelivery(ctx, d.ID, "w", nil, "desk-"+d.Message.ID); err != nil {
			t.Fatal(err)
		}
	}
	ds = claim(`m\2-edit`, "m3")
	if got := ds[0].EditOfDeskMessageID; got != `desk-m\2` {
		t.Errorf("the edit's original in the desk: %q, want %q", got, `desk-m\2`)
	}
}

// A row named twice in a group is completed by its first completion; the
// second answers as a second call would (the row is done: ErrLeaseLost),
// and the thread kept is the first's.
func TestCompleteDeliveriesSameRowTwice(t *testing.T) {
	s := open(t, newDatabase(t), Options{})
	ctx := t.Context()
	if _, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 1, ChatID: 1, Channels: []string{"slack"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hi"}}}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "w", Limit: 1, Lease: time.Minute})
	if err != nil || len(ds) != 1 {
		t.Fatalf("claimed %d deliveries (%v)", len(ds), err)
	}
	errs, err := s.CompleteDeliveries(ctx, "w", []store.Completion{
		{ID: ds[0].ID, ThreadRef: []byte("first"), DeskMessageID: "desk-1"},
		{ID: 12345, DeskMessageID: "nobody"},
		{ID: ds[0].ID, ThreadRef: []byte("second"), DeskMessageID: "desk-2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || !errors.Is(errs[1], store.ErrNotFound) || !errors.Is(errs[2], store.ErrLeaseLost) {
		t.Fatalf("results %v, want nil, ErrNotFound, ErrLeaseLost", errs)
	}
	var desk, thread string
	if err := s.pool.QueryRow(ctx, `SELECT d.desk_message_id, l.thread_ref::text FROM deliveries d
		JOIN lanes l USING (conversation_id, channel)`).Scan(&desk, &thread); err != nil {
		t.Fatal(err)
	}
	if desk != "desk-1" || thread != `\x6669727374` {
		t.Errorf("stored desk id %q and thread %q, want the first completion's", desk, thread)
	}
}

// A claim that cannot read one of its rows fails, and leaves every lane it
// took as it found it: no lane waits out a lease because of another's row.
func TestClaimWithUnreadablePayloadLeasesNothing(t *testing.T) {
	s := open(t, newDatabase(t), Options{})
	ctx := t.Context()
	for chat := int64(1); chat <= 2; chat++ {
		if _, err := s.CommitInbound(ctx, store.Inbound{UpdateID: chat, ChatID: chat, Channels: []string{"slack"},
			Messages: []sdk.Message{{ID: fmt.Sprint("m", chat), Kind: sdk.KindText, Text: "hi"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `UPDATE messages SET payload = '{"kind": 5}' WHERE id = 'm2'`); err != nil {
		t.Fatal(err)
	}
	claim := func() ([]store.Delivery, error) {
		return s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Hour}, 5)
	}
	if ds, err := claim(); err == nil || !strings.Contains(err.Error(), "delivery 2") {
		t.Fatalf("claimed %d rows, error %v; want an error naming delivery 2", len(ds), err)
	}
	var leased int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM deliveries WHERE lease_owner IS NOT NULL`).Scan(&leased); err != nil || leased != 0 {
		t.Fatalf("%d rows leased after the failed claim (%v)", leased, err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE messages SET payload = '{"id": "m2", "kind": "text", "text": "hi"}' WHERE id = 'm2'`); err != nil {
		t.Fatal(err)
	}
	if ds, err := claim(); err != nil || len(ds) != 2 {
		t.Fatalf("claimed %d rows (%v), want both lanes", len(ds), err)
	}
}
