package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
)

// queue names one of the two work tables.
type queue struct {
	table string // "deliveries" or "replies"
	kind  string // "delivery" or "reply", as in store.QueueRow.Kind
	// sameLane matches a pending row p of the lane of row d.
	sameLane string
}

var (
	deliveries = queue{table: "deliveries", kind: "delivery",
		sameLane: `p.conversation_id = d.conversation_id AND p.channel = d.channel`}
	replies = queue{table: "replies", kind: "reply",
		sameLane: `p.conversation_id = d.conversation_id`}
)

// claimClock is the time a claim happens at, given as parameter $1:
// the database server's clock (now()) unless a test fixed the time
// (ClaimOptions.Now). Every lease is stamped and judged by the one clock
// all replicas share, so a replica whose own clock runs slow or fast
// neither takes over a live lease nor hands out one that is already over.
const claimClock = `COALESCE($1::timestamptz, now())`

// claimAt is ClaimOptions.Now as claimClock's parameter: nil (the
// database's clock) when zero.
func claimAt(opt store.ClaimOptions) *time.Time {
	if opt.Now.IsZero() {
		return nil
	}
	return &opt.Now
}

func checkClaim(opt store.ClaimOptions) error {
	if opt.Owner == "" {
		return errors.New("claim: an owner is required")
	}
	if opt.Lease <= 0 {
		return fmt.Errorf("claim: lease must be positive, got %s", opt.Lease)
	}
	return nil
}

// claim begins a transaction, locks the claimable heads of up to limit
// lanes (the candidates, oldest first) and calls lease with them,
// committing when it returns nil; replies are claimed so (deliveries, more
// numerous, walk delivery_heads instead: see claimRuns). lease must lease
// the candidates still at the head of their lane in a statement of its own
// (leaseHeads).
//
// The head of a lane is its pending row with the smallest id, and only a
// ready (next_attempt_at reached), unleased head is claimable, which keeps
// every lane in order and one row per lane in flight. Done and failed rows
// are not pending, so they never hold a lane back: a message that failed
// for good must not silence a customer's conversation forever; it stays
// listed (Queue) until an operator retries it (RetryNow).
//
// Several replicas claim at once. The first statement locks candidate
// heads with SKIP LOCKED, so claimers pass each other's rows by instead of
// queueing behind them; a candidate another claimer leased and committed
// meanwhile is re-read by PostgreSQL and dropped, its lease now being
// live. The second statement (lease's), on a fresh snapshot, keeps only
// candidates still at the head of their lane: a row an operator put back
// (RetryNow) after the first statement's snapshot comes first again.
//
// The first statement travels with the BEGIN, so a claim costs a round
// trip less than a transaction begun on its own; an idle poll costs two.
func (q queue) claim(ctx context.Context, s *Store, limit int, at *time.Time, lease func(tx pgx.Tx, candidates []int64) error) (err error) {
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(`SELECT d.id FROM `+q.table+` d
		WHERE d.state = 'pending'
		  AND d.next_attempt_at <= `+claimClock+`
		  AND (d.lease_until IS NULL OR d.lease_until < `+claimClock+`)
		  AND `+q.isHead()+`
		ORDER BY d.id
		LIMIT $2
		FOR UPDATE OF d SKIP LOCKED`, at, limit)
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() {
		if rerr := tx.Rollback(ctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) && err == nil {
			err = rerr
		}
	}()
	var candidates []int64
	_, err = br.Exec() // the BEGIN
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			candidates, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(candidates) > 0 {
		if err := lease(tx, candidates); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// isHead is true for a row d that is the head of its lane, given that d is
// pending. A correlated scalar subquery is run per candidate, one probe of
// the lane index; NOT EXISTS may be planned as a hash anti-join over every
// pending row of the table.
func (q queue) isHead() string {
	return `d.id = (SELECT min(p.id) FROM ` + q.table + ` p WHERE ` + q.sameLane + ` AND p.state = 'pending')`
}

// leaseHeads is the statement that leases the candidates ($1) still at the
// head of their lane to $2 for $3 microseconds from time $4 (claimClock),
// returning the given columns of "d" for each row leased.
func (q queue) leaseHeads(returning string) string {
	return `UPDATE ` + q.table + ` d SET lease_owner = $2, lease_until = ` + strings.ReplaceAll(claimClock, "$1", "$4") + ` + $3::bigint * interval '1 microsecond', updated_at = now()
		WHERE d.id = ANY($1) AND ` + q.isHead() + `
		RETURNING ` + returning
}

// finish applies set (with its args, numbered from $3) to a pending row
// the owner holds and releases the lease, returning the row's lane. The
// lease may have run out: as long as nobody claimed the row since, the
// owner still holds it, and finishing it spares a needless second
// delivery. A concurrent claim of the same row is serialised by its row
// lock; whichever commits second sees the other's owner.
func (q queue) finish(ctx context.Context, tx pgx.Tx, id int64, owner, set string, args ...any) (conversationID, channel string, err error) {
	args = append([]any{id, owner}, args...)
	err = tx.QueryRow(ctx, `UPDATE `+q.table+` SET `+set+`, lease_owner = NULL, lease_until = NULL, updated_at = now()
		WHERE id = $1 AND state = 'pending' AND lease_owner = $2
		RETURNING conversation_id, channel`, args...).Scan(&conversationID, &channel)
	if !errors.Is(err, pgx.ErrNoRows) {
		return conversationID, channel, err
	}
	var one int
	switch err := tx.QueryRow(ctx, `SELECT 1 FROM `+q.table+` WHERE id = $1`, id).Scan(&one); {
	case errors.Is(err, pgx.ErrNoRows):
		return "", "", store.ErrNotFound
	case err != nil:
		return "", "", err
	}
	return "", "", store.ErrLeaseLost
}

// retry records a failed attempt and schedules the next.
func (q queue) retry(ctx context.Context, s *Store, id int64, owner string, next time.Time, lastErr string) error {
	err := again(ctx, func() error {
		return s.tx(ctx, func(tx pgx.Tx) error {
			_, _, err := q.finish(ctx, tx, id, owner, `attempts = attempts + 1, next_attempt_at = $3, last_error = $4`,
				next, truncateError(lastErr))
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("scheduling a retry of %s %d: %w", q.kind, id, err)
	}
	return nil
}

// fail records the last attempt and gives up on the row.
func (q queue) fail(ctx context.Context, s *Store, id int64, owner, lastErr string) error {
	err := again(ctx, func() error {
		return s.tx(ctx, func(tx pgx.Tx) error {
			_, _, err := q.finish(ctx, tx, id, owner, `state = 'failed', attempts = attempts + 1, last_error = $3`, truncateError(lastErr))
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("failing %s %d: %w", q.kind, id, err)
	}
	return nil
}
