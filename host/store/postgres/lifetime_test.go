package postgres

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/storetest"
	"github.com/parley-dev/parley/sdk"
)

func TestLifetime(t *testing.T) {
	db := newDatabase(t)
	storetest.RunLifetime(t, func(t *testing.T) store.Store {
		return open(t, newSchema(t, db), Options{})
	}, crashOnErasureNotice)
}

// crashOnErasureNotice makes the insert of an erasure notice fail: the
// erasure's last step, after its deletes, in the same transaction.
func crashOnErasureNotice(t *testing.T, st store.Store) func() {
	s := st.(*Store)
	exec := func(q string) {
		t.Helper()
		if _, err := s.pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE FUNCTION crash() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'simulated crash'; END $$`)
	exec(`CREATE TRIGGER crash BEFORE INSERT ON messages FOR EACH ROW
		WHEN (NEW.id LIKE 'nf\_%') EXECUTE FUNCTION crash()`)
	return func() { exec(`DROP TRIGGER crash ON messages`); exec(`DROP FUNCTION crash()`) }
}

// Replicas purging at once take different rows: together they delete
// every finished row once, and neither fails.
func TestConcurrentPurges(t *testing.T) {
	db := newDatabase(t)
	a, b := open(t, db, Options{}), open(t, db, Options{})
	ctx := t.Context()
	old := time.Now().Add(-100 * 24 * time.Hour)
	const n = 60
	for i := range n {
		_, err := a.CommitInbound(ctx, store.Inbound{UpdateID: int64(i + 1), ChatID: int64(i%7 + 1), Channels: []string{"slack"}, Time: old,
			Messages: []sdk.Message{{ID: fmt.Sprintf("m%d", i), Kind: sdk.KindText, Text: "x"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for {
		ds, err := a.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "w", Limit: 100, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			if err := a.CompleteDelivery(ctx, d.ID, "w", nil, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p, err := s.PurgeFinished(ctx, time.Now().Add(-90*24*time.Hour), 4)
				if err != nil {
					errs <- err
					return
				}
				total.Add(int64(p.Messages))
				if p.Messages == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if total.Load() != n {
		t.Fatalf("the two replicas purged %d messages, want %d", total.Load(), n)
	}
	var left int
	if err := a.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM deliveries)`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("rows left: %d (%v)", left, err)
	}
}
