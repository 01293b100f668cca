package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
)

// stillPending re-checks that delivery d is pending, in statements that
// find their rows by primary key and must not take one a concurrent
// transaction finished meanwhile (READ COMMITTED re-evaluates it on the
// row's latest version once it holds the row's lock). It says "neither
// done nor failed" (the CHECK constraint's other states) rather than
// "pending" on purpose: the planner answers state = 'pending' with
// deliveries_pending_lane, a partial index on it, and without statistics
// (a database autovacuum has not analysed yet) it takes that to be a few
// rows and walks every pending row instead of probing the ids it is given.
const stillPending = `d.state NOT IN ('done', 'failed')`

// claimRuns leases the oldest claimable heads, up to $2 lanes, and behind
// each up to $5 of the pending rows that follow it, to $3 for $4
// microseconds, at time $1 (the database's clock when NULL; see
// claimClock), and reads what a worker needs of them: heads oldest first, each
// followed by its run in id order. It is one statement, so a claim costs
// one round trip however many lanes and rows it takes.
//
// head walks delivery_heads (one row per lane; see migration 00003) in head
// order and locks the ready, unleased heads it passes with SKIP LOCKED, so
// concurrent claimers pass each other's rows by instead of queueing behind
// them; a head finished, leased or made to wait by a transaction that
// committed after this statement's snapshot fails the re-check PostgreSQL
// makes once it holds the lock, and is dropped. (An operator's retry of an
// older failed row, committed meanwhile, makes that row the lane's head for
// the next claim; the head leased here runs on, as it would had the retry
// come a moment later.) The walk costs the lanes
// in flight and the heads it takes, never a lane's backlog or the done
// history. Each head is read through a LATERAL subquery that locks: the
// planner cannot flatten it, so it probes deliveries by primary key once
// per head, in head order, and stops at the limit; as a plain join it may
// sort a hash join of both whole tables (it cannot tell, without
// statistics, how few rows are heads).
//
// Followers are taken only behind heads this statement leased, whatever
// their own lease columns say (see store.RunClaimer). behind walks each
// lane one row at a time, each step one probe of deliveries_pending_lane:
// a plain ORDER BY id LIMIT over the lane may be planned as a bitmap scan
// and a sort of its whole backlog, which has no bound. The walk stops
// before an edit whose original is still pending (it needs the original's
// desk id). A follower another transaction finished meanwhile is left out
// (stillPending); it no longer holds its lane back.
//
// The original of an edit is looked up by its unique key (message_id,
// channel) only when there is one, its state tested on the row found: with
// state among the conditions the planner may prefer deliveries_state and
// filter a whole channel's history by message id.
const claimRuns = `WITH RECURSIVE head AS (
	UPDATE deliveries d SET lease_owner = $3, lease_until = ` + claimClock + ` + $4::bigint * interval '1 microsecond', updated_at = now()
	WHERE d.id = ANY (ARRAY(
		SELECT x.id FROM delivery_heads h
		CROSS JOIN LATERAL (
			SELECT d.id FROM deliveries d
			WHERE d.id = h.head_id AND ` + stillPending + `
			  AND d.next_attempt_at <= ` + claimClock + ` AND (d.lease_until IS NULL OR d.lease_until < ` + claimClock + `)
			FOR UPDATE OF d SKIP LOCKED) x
		WHERE h.head_id IS NOT NULL
		ORDER BY h.head_id
		LIMIT $2))
	RETURNING d.id, d.conversation_id, d.channel, d.message_id, d.edit_of, d.attempts, d.created_at
),
behind (head, conversation_id, channel, id, n) AS (
	SELECT h.id, h.conversation_id, h.channel, h.id, 0 FROM head h
	UNION ALL
	SELECT b.head, b.conversation_id, b.channel, p.id, b.n + 1
	FROM behind b
	CROSS JOIN LATERAL (
		SELECT p.id, p.edit_of FROM deliveries p
		WHERE p.conversation_id = b.conversation_id AND p.channel = b.channel AND p.state = 'pending' AND p.id > b.id
		ORDER BY p.id
		LIMIT 1) p
	WHERE b.n < $5 AND CASE WHEN p.edit_of IS NULL THEN true
		ELSE (SELECT o.state FROM deliveries o WHERE o.message_id = p.edit_of AND o.channel = b.channel)
			IS DISTINCT FROM 'pending' END
),
follower AS (
	UPDATE deliveries d SET lease_owner = $3, lease_until = ` + claimClock + ` + $4::bigint * interval '1 microsecond', updated_at = now()
	WHERE d.id = ANY (ARRAY(SELECT b.id FROM behind b WHERE b.n > 0)) AND ` + stillPending + `
	RETURNING d.id, d.channel, d.message_id, d.edit_of, d.attempts, d.created_at
),
run AS (
	SELECT id, id AS head, conversation_id, channel, message_id, edit_of, attempts, created_at FROM head
	UNION ALL
	SELECT f.id, b.head, b.conversation_id, f.channel, f.message_id, f.edit_of, f.attempts, f.created_at
	FROM follower f JOIN behind b ON b.id = f.id
)
SELECT ` + conversationCols + `, r.id, r.channel, r.attempts, r.created_at, m.payload::text, l.thread_ref,
	CASE WHEN r.edit_of IS NULL THEN '' ELSE COALESCE((
		SELECT CASE WHEN o.state = 'done' THEN o.desk_message_id END FROM deliveries o
		WHERE o.message_id = r.edit_of AND o.channel = r.channel), '') END,
	r.head,
	CASE WHEN l.thread_ref IS NULL AND c.previous_id <> '' THEN (
		SELECT pl.thread_ref FROM lanes pl WHERE pl.conversation_id = c.previous_id AND pl.channel = r.channel) END
FROM run r
JOIN messages m ON m.id = r.message_id
JOIN conversations c ON c.id = r.conversation_id
LEFT JOIN lanes l ON l.conversation_id = r.conversation_id AND l.channel = r.channel
ORDER BY r.head, r.id`

// claimRunsSkipping is claimRuns passing over the heads of the channels
// in $6 (ClaimOptions.SkipChannels): a statement of its own, so the common
// claim keeps its plan and neither pays for the filter.
var claimRunsSkipping = strings.Replace(claimRuns, `FOR UPDATE OF d SKIP LOCKED) x`,
	`AND d.channel <> ALL ($6::text[])
			FOR UPDATE OF d SKIP LOCKED) x`, 1)

// ClaimDeliveries leases the head of up to opt.Limit ready lanes: a run
// of one.
func (s *Store) ClaimDeliveries(ctx context.Context, opt store.ClaimOptions) ([]store.Delivery, error) {
	return s.ClaimDeliveryRuns(ctx, opt, 1)
}

// ClaimDeliveryRuns leases the head of up to opt.Limit ready lanes, each
// with up to run-1 rows behind it; see store.RunClaimer and claimRuns.
func (s *Store) ClaimDeliveryRuns(ctx context.Context, opt store.ClaimOptions, run int) ([]store.Delivery, error) {
	if err := checkClaim(opt); err != nil {
		return nil, err
	}
	if opt.Limit <= 0 {
		return nil, nil
	}
	run = max(run, 1)
	query, args := claimRuns, []any{claimAt(opt), opt.Limit, opt.Owner, opt.Lease.Microseconds(), run - 1}
	if len(opt.SkipChannels) > 0 {
		query, args = claimRunsSkipping, append(args, opt.SkipChannels)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.Delivery
	var head store.Delivery
	var ids []int64 // every row leased, for a release should one fail to read
	var bad error
	for rows.Next() {
		var d store.Delivery
		var body string
		var headID int64
		d.Conversation, err = scanConversation(rows, &d.ID, &d.Channel, &d.Attempts, &d.CreatedAt, &body, &d.ThreadRef,
			&d.EditOfDeskMessageID, &headID, &d.PreviousThreadRef)
		if err != nil {
			bad = err
			break
		}
		ids = append(ids, d.ID)
		d.CreatedAt = d.CreatedAt.UTC()
		if d.Message, err = payload.DecodeMessage([]byte(body)); err != nil {
			bad = cmp.Or(bad, fmt.Errorf("delivery %d: %w", d.ID, err))
			continue
		}
		if d.ID == headID {
			head = d
		} else {
			// A run is its head's lane: the same conversation and thread.
			d.Conversation, d.ThreadRef, d.PreviousThreadRef = head.Conversation, head.ThreadRef, head.PreviousThreadRef
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		// The statement failed, so it leased nothing.
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	if bad != nil {
		// The statement committed its leases before a row failed to read
		// here: give them back rather than hold the claim's lanes for a
		// lease, as a claim that fails in its transaction leases nothing.
		if err := s.ReleaseDeliveries(ctx, opt.Owner, ids); err != nil {
			bad = errors.Join(bad, err)
		}
		return nil, fmt.Errorf("claiming deliveries: %w", bad)
	}
	return out, nil
}

var _ store.RunClaimer = (*Store)(nil)

// ReleaseDeliveries gives back owner's leases on rows it did not attempt;
// see store.RunClaimer. One statement needs no transaction of its own.
func (s *Store) ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := again(ctx, func() error {
		_, err := s.pool.Exec(ctx, `UPDATE deliveries d SET lease_owner = NULL, lease_until = NULL, updated_at = now()
			WHERE d.id = ANY($1) AND `+stillPending+` AND d.lease_owner = $2`, ids, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("releasing deliveries: %w", err)
	}
	return nil
}

// completeDeliveries marks the deliveries $1 done, each with its desk
// message id from $2, if owner $4 holds them, at $5, and keeps each lane's
// thread reference: the last non-empty one of $3 among the lane's rows
// completed (the newest the plugin returned), written only when it differs
// from the stored one (the upsert would lock the lane's row even to leave
// it alone); the rules are queue.finish's.
// It answers, for each id in order, whether it was completed and, if not,
// whether it exists: the difference between ErrLeaseLost and ErrNotFound.
// One statement for the whole group: one round trip, and the heads of the
// lanes recomputed once (migration 00003's trigger).
//
// Each desk id is found by the row's position in $1 (the ids are distinct):
// a join of deliveries with the unnested arrays may be planned as a scan of
// the table. For the same reason whether a row exists is asked by a scalar
// subquery, only for rows not completed: the planner may turn EXISTS into a
// hash of every delivery's id.
const completeDeliveries = `WITH done AS (
	UPDATE deliveries d SET state = 'done', desk_message_id = ($2::text[])[array_position($1::bigint[], d.id)],
		lease_owner = NULL, lease_until = NULL, updated_at = $5
	WHERE d.id = ANY($1) AND ` + stillPending + ` AND d.lease_owner = $4
	RETURNING d.id, d.conversation_id, d.channel
), lane AS (
	SELECT DISTINCT ON (done.conversation_id, done.channel) done.conversation_id, done.channel, c.ref
	FROM done JOIN unnest($1::bigint[], $3::bytea[]) WITH ORDINALITY AS c (id, ref, n) ON c.id = done.id
	WHERE length(c.ref) > 0
	ORDER BY done.conversation_id, done.channel, c.n DESC
), changed AS (
	SELECT * FROM lane WHERE (SELECT l.thread_ref FROM lanes l
		WHERE l.conversation_id = lane.conversation_id AND l.channel = lane.channel) IS DISTINCT FROM lane.ref
), kept AS (
	INSERT INTO lanes (conversation_id, channel, thread_ref, updated_at)
	SELECT conversation_id, channel, ref, $5::timestamptz FROM changed
	ON CONFLICT (conversation_id, channel) DO UPDATE SET thread_ref = excluded.thread_ref, updated_at = excluded.updated_at
	WHERE lanes.thread_ref <> excluded.thread_ref
)
SELECT done.id IS NOT NULL, done.id IS NOT NULL OR (SELECT true FROM deliveries e WHERE e.id = c.id) IS NOT NULL
FROM unnest($1::bigint[]) WITH ORDINALITY AS c (id, n)
LEFT JOIN done ON done.id = c.id
ORDER BY c.n`

// CompleteDelivery marks a delivery done and keeps the lane's thread
// reference and the desk's message id: a batch of one.
func (s *Store) CompleteDelivery(ctx context.Context, id int64, owner string, threadRef []byte, deskMessageID string) error {
	errs, err := s.completeDeliveries(ctx, owner, []store.Completion{{ID: id, ThreadRef: threadRef, DeskMessageID: deskMessageID}})
	if err != nil {
		return fmt.Errorf("completing delivery %d: %w", id, err)
	}
	return errs[0]
}

// CompleteDeliveries records a batch of completions in one transaction;
// see store.DeliveryCompleter.
func (s *Store) CompleteDeliveries(ctx context.Context, owner string, cs []store.Completion) ([]error, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	errs, err := s.completeDeliveries(ctx, owner, cs)
	if err != nil {
		return nil, fmt.Errorf("completing deliveries: %w", err)
	}
	return errs, nil
}

// completeDeliveries runs completeDeliveries for the group. A row's
// ErrLeaseLost or ErrNotFound changed nothing and aborts nothing. An id
// given twice is completed by its first completion, as one call after
// another would: the second finds it done (ErrLeaseLost), or fails as the
// first did.
func (s *Store) completeDeliveries(ctx context.Context, owner string, cs []store.Completion) ([]error, error) {
	ids := make([]int64, 0, len(cs))
	desk := make([]string, 0, len(cs))
	refs := make([][]byte, 0, len(cs))
	first := make(map[int64]int, len(cs)) // id → its index in ids
	for _, c := range cs {
		if _, dup := first[c.ID]; dup {
			continue
		}
		first[c.ID] = len(ids)
		ids = append(ids, c.ID)
		desk = append(desk, cleanText(c.DeskMessageID))
		refs = append(refs, c.ThreadRef)
	}
	var done, exists []bool
	err := again(ctx, func() error {
		done, exists = nil, nil
		rows, err := s.pool.Query(ctx, completeDeliveries, ids, desk, refs, owner, s.clock())
		if err != nil {
			return err
		}
		for rows.Next() {
			var d, e bool
			if err := rows.Scan(&d, &e); err != nil {
				rows.Close()
				return err
			}
			done, exists = append(done, d), append(exists, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(done) != len(ids) {
		return nil, fmt.Errorf("%d results for %d deliveries", len(done), len(ids))
	}
	errs := make([]error, len(cs))
	seen := make(map[int64]bool, len(cs))
	for i, c := range cs {
		j := first[c.ID]
		switch {
		case !exists[j]:
			errs[i] = fmt.Errorf("completing delivery %d: %w", c.ID, store.ErrNotFound)
		case !done[j] || seen[c.ID]:
			errs[i] = fmt.Errorf("completing delivery %d: %w", c.ID, store.ErrLeaseLost)
		}
		seen[c.ID] = true
	}
	return errs, nil
}

var _ store.DeliveryCompleter = (*Store)(nil)

// RetryDelivery records a failed attempt and schedules the next one.
func (s *Store) RetryDelivery(ctx context.Context, id int64, owner string, next time.Time, lastErr string) error {
	return deliveries.retry(ctx, s, id, owner, next, lastErr)
}

// FailDelivery gives up on a delivery; its lane moves on.
func (s *Store) FailDelivery(ctx context.Context, id int64, owner string, lastErr string) error {
	return deliveries.fail(ctx, s, id, owner, lastErr)
}
