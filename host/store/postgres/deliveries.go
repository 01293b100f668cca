package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
)

// editOf is the "edit_of" key of a message payload m, as the payload
// package writes it (stored rows keep it). PostgreSQL's json operators
// refuse a document holding the \u0000 escape, which a user's text may, so
// the escape is dropped first; escaped backslashes are rewritten as the
// equivalent \u005c beforehand, so that a backslash the text holds before
// "u0000" is not taken for it. A message id holds no NUL (it is a text key),
// so edit_of itself comes out intact.
const editOf = `(replace(replace(m.payload::text, '\\', '\u005c'), '\u0000', '')::json->>'edit_of')`

// claimRuns leases the candidates ($1) still at the head of their lane,
// and behind each up to $5 of the pending rows that follow it, to $2
// until $3 (at $4), and reads what a worker needs of them: heads oldest
// first, each followed by its run in id order. One statement for all
// lanes keeps a claim at one round trip after the candidates' lock,
// however many lanes and rows it takes.
//
// Followers are taken only behind heads this statement leased, whatever
// their own lease columns say (see store.RunClaimer). behind walks each
// lane one row at a time, each step one probe of deliveries_pending_lane:
// a plain ORDER BY id LIMIT over the lane may be planned as a bitmap scan
// and a sort of its whole backlog, which has no bound.
// The walk stops before an edit whose original is still pending (it needs
// the original's desk id; see editOf). A follower another transaction
// finished meanwhile (state re-checked under its row lock) is left out; it
// no longer holds its lane back.
var claimRuns = `WITH RECURSIVE head AS (` + deliveries.leaseHeads(`d.id, d.conversation_id, d.channel`) + `),
behind (head, conversation_id, channel, id, n) AS (
	SELECT h.id, h.conversation_id, h.channel, h.id, 0 FROM head h
	UNION ALL
	SELECT b.head, b.conversation_id, b.channel, p.id, b.n + 1
	FROM behind b
	CROSS JOIN LATERAL (
		SELECT p.id, p.message_id FROM deliveries p
		WHERE p.conversation_id = b.conversation_id AND p.channel = b.channel AND p.state = 'pending' AND p.id > b.id
		ORDER BY p.id
		LIMIT 1) p
	JOIN messages m ON m.id = p.message_id
	WHERE b.n < $5 AND NOT EXISTS (
		SELECT 1 FROM deliveries o
		WHERE o.message_id = ` + editOf + ` AND o.channel = b.channel AND o.state = 'pending')
),
follower AS (
	UPDATE deliveries d SET lease_owner = $2, lease_until = $3, updated_at = $4
	FROM behind b
	WHERE d.id = b.id AND b.n > 0 AND d.state = 'pending'
	RETURNING d.id, b.head
),
run AS (
	SELECT id, id AS head FROM head
	UNION ALL
	SELECT id, head FROM follower
)
SELECT ` + conversationCols + `, d.id, d.channel, d.attempts, d.created_at, m.payload::text, l.thread_ref,
	COALESCE(o.desk_message_id, ''), r.head
FROM run r
JOIN deliveries d ON d.id = r.id
JOIN messages m ON m.id = d.message_id
JOIN conversations c ON c.id = d.conversation_id
LEFT JOIN lanes l ON l.conversation_id = d.conversation_id AND l.channel = d.channel
LEFT JOIN deliveries o ON o.message_id = ` + editOf + ` AND o.channel = d.channel AND o.state = 'done'
ORDER BY r.head, r.id`

// ClaimDeliveries leases the head of up to opt.Limit ready lanes: a run
// of one.
func (s *Store) ClaimDeliveries(ctx context.Context, opt store.ClaimOptions) ([]store.Delivery, error) {
	return s.ClaimDeliveryRuns(ctx, opt, 1)
}

// ClaimDeliveryRuns leases the head of up to opt.Limit ready lanes, each
// with up to run-1 rows behind it; see store.RunClaimer, and queue.claim
// for how replicas share the work. It costs three round trips: BEGIN with
// the candidates' lock, claimRuns, COMMIT.
func (s *Store) ClaimDeliveryRuns(ctx context.Context, opt store.ClaimOptions, run int) ([]store.Delivery, error) {
	if err := checkClaim(opt); err != nil {
		return nil, err
	}
	if opt.Limit <= 0 {
		return nil, nil
	}
	run = max(run, 1)
	now := nowOr(opt.Now)
	var out []store.Delivery
	err := deliveries.claim(ctx, s, opt.Limit, now, func(tx pgx.Tx, candidates []int64) error {
		out = nil
		rows, err := tx.Query(ctx, claimRuns, candidates, opt.Owner, now.Add(opt.Lease), time.Now(), run-1)
		if err != nil {
			return err
		}
		defer rows.Close()
		var head store.Delivery
		for rows.Next() {
			var d store.Delivery
			var body string
			var headID int64
			d.Conversation, err = scanConversation(rows, &d.ID, &d.Channel, &d.Attempts, &d.CreatedAt, &body, &d.ThreadRef,
				&d.EditOfDeskMessageID, &headID)
			if err != nil {
				return err
			}
			d.CreatedAt = d.CreatedAt.UTC()
			if d.Message, err = payload.DecodeMessage([]byte(body)); err != nil {
				return fmt.Errorf("delivery %d: %w", d.ID, err)
			}
			if d.ID == headID {
				head = d
			} else {
				// A run is its head's lane: the same conversation and thread.
				d.Conversation, d.ThreadRef = head.Conversation, head.ThreadRef
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
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
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL, updated_at = $3
		WHERE id = ANY($1) AND state = 'pending' AND lease_owner = $2`, ids, owner, time.Now())
	if err != nil {
		return fmt.Errorf("releasing deliveries: %w", err)
	}
	return nil
}

// completeDelivery marks delivery $1 done with the desk's message id $3
// if $2 holds it, keeps the lane's thread reference $4 when one is given
// (the newest the plugin returned), at $5; the rules are queue.finish's.
// It answers whether the row was completed and, if not, whether it
// exists: the difference between ErrLeaseLost and ErrNotFound. One
// statement, so a batch of them is pipelined in one round trip.
const completeDelivery = `WITH done AS (
	UPDATE deliveries SET state = 'done', desk_message_id = $3, lease_owner = NULL, lease_until = NULL, updated_at = $5
	WHERE id = $1 AND state = 'pending' AND lease_owner = $2
	RETURNING conversation_id, channel
), lane AS (
	INSERT INTO lanes (conversation_id, channel, thread_ref, updated_at)
	SELECT conversation_id, channel, $4::bytea, $5::timestamptz FROM done WHERE length($4::bytea) > 0
	ON CONFLICT (conversation_id, channel) DO UPDATE SET thread_ref = excluded.thread_ref, updated_at = excluded.updated_at
	WHERE lanes.thread_ref <> excluded.thread_ref
)
SELECT EXISTS (SELECT 1 FROM done), EXISTS (SELECT 1 FROM deliveries WHERE id = $1)`

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

// completeDeliveries runs completeDelivery for each completion, in order,
// as one pipelined batch, which PostgreSQL runs as one implicit
// transaction: a group commit costs one round trip, whatever its size.
// A row's ErrLeaseLost or ErrNotFound changed nothing and aborts nothing.
func (s *Store) completeDeliveries(ctx context.Context, owner string, cs []store.Completion) ([]error, error) {
	b := &pgx.Batch{}
	now := time.Now()
	for _, c := range cs {
		b.Queue(completeDelivery, c.ID, owner, cleanText(c.DeskMessageID), c.ThreadRef, now)
	}
	br := s.pool.SendBatch(ctx, b)
	errs := make([]error, len(cs))
	var err error
	for i, c := range cs {
		var done, exists bool
		if err = br.QueryRow().Scan(&done, &exists); err != nil {
			if len(cs) > 1 {
				err = fmt.Errorf("delivery %d: %w", c.ID, err)
			}
			break
		}
		switch {
		case !exists:
			errs[i] = fmt.Errorf("completing delivery %d: %w", c.ID, store.ErrNotFound)
		case !done:
			errs[i] = fmt.Errorf("completing delivery %d: %w", c.ID, store.ErrLeaseLost)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
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
