package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
)

// seed adds rows behind the API's back, in one transaction: the benchmark
// needs a table shaped like months of traffic, not a test of CommitInbound.
// lanes conversations each get perLane messages to "slack" in state.
func seed(tb testing.TB, s *Store, from, lanes, perLane int, state store.State) {
	tb.Helper()
	ctx := context.Background()
	err := s.tx(ctx, func(tx *wtx) error {
		now := dbTime(time.Now().Add(-time.Hour))
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO conversations (id, number, chat_id, started_at, updated_at)
			SELECT 'c_bench_' || i, i + 1, i + 1, ?, ? FROM n WHERE true
			ON CONFLICT DO NOTHING`, lanes, now, now); err != nil {
			return err
		}
		// Row k of the batch belongs to lane k % lanes, so lanes interleave
		// in id order as they do in real traffic.
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ?)
			INSERT INTO messages (id, conversation_id, payload, created_at)
			SELECT 'b' || (? + k), 'c_bench_' || (k % ?), '{"id":"b","kind":"text","text":"hello","time":"2024-01-01T00:00:00Z"}', ? FROM n`,
			lanes*perLane, from, lanes, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (conversation_id, channel, message_id, state, next_attempt_at, created_at, updated_at)
			SELECT conversation_id, 'slack', id, ?, created_at, created_at, created_at FROM messages
			WHERE rowid > (SELECT COALESCE(MAX(rowid), 0) FROM messages) - ? ORDER BY rowid`, string(state), lanes*perLane)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkClaimComplete measures outbox throughput: one op is a claim of
// up to 32 lane heads and the completion of each, on a table with 100k
// delivered rows and 1,000 busy lanes.
func BenchmarkClaimComplete(b *testing.B) {
	s := openTemp(b, filepath.Join(b.TempDir(), "bench.db"))
	const lanes, perLane = 1000, 20
	seed(b, s, 0, 1000, 100, store.StateDone)
	next := 100_000
	refill := func() {
		seed(b, s, next, lanes, perLane, store.StatePending)
		next += lanes * perLane
	}
	refill()
	ctx := context.Background()
	rows := 0
	b.ResetTimer()
	for b.Loop() {
		ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "bench", Limit: 32, Lease: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		if len(ds) == 0 {
			b.StopTimer()
			refill()
			b.StartTimer()
			continue
		}
		for _, d := range ds {
			if err := s.CompleteDelivery(ctx, d.ID, "bench", []byte("T"), "D"); err != nil {
				b.Fatal(err)
			}
		}
		rows += len(ds)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "deliveries/s")
}

// TestClaimQueriesUseIndexes guards the claim against a schema or query
// change that would make it read the whole table: every table scan must
// walk one of the pending-only indexes, or the delivery lane heads.
func TestClaimQueriesUseIndexes(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "plan.db"))
	seed(t, s, 0, 10, 10, store.StateDone)
	if _, err := s.write.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{"deliveries": claimDeliveries, "replies": claimReplies} {
		rows, err := s.read.Query(`EXPLAIN QUERY PLAN `+q, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			pendingOnly := strings.HasSuffix(step, "USING INDEX "+name+"_pending") || (name == "deliveries" && step == "SCAN h")
			if strings.HasPrefix(step, "SCAN") && !pendingOnly {
				t.Errorf("claim of %s scans without a pending-only index:\n%s", name, strings.Join(plan, "\n"))
			}
			if strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("claim of %s sorts:\n%s", name, strings.Join(plan, "\n"))
			}
		}
	}
}
