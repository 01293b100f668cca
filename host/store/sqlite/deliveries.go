package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
)

// claimDeliveries selects the claimable head of each lane, oldest first.
//
// The head of a lane is its pending row with the smallest id, and only a
// ready (next_attempt_at reached), unleased head is claimable, which keeps
// every lane in order and one row per lane in flight. Done and failed rows
// are not pending, so they never hold a lane back: a message that failed
// for good must not silence a customer's conversation forever; it stays
// listed (Queue) until an operator retries it (RetryNow).
//
// delivery_heads holds each lane's head (triggers keep it; see migration
// 00003), so the walk visits heads only, in id order, and stops after
// Limit claimable ones: one busy lane's backlog costs the claim nothing.
// CROSS JOIN keeps delivery_heads the outer loop.
const claimDeliveries = `SELECT ` + conversationCols + `, d.id, d.channel, d.attempts, d.created_at, m.payload, l.thread_ref
	FROM delivery_heads h
	CROSS JOIN deliveries d ON d.id = h.delivery_id
	JOIN messages m ON m.id = d.message_id
	JOIN conversations c ON c.id = d.conversation_id
	LEFT JOIN lanes l ON l.conversation_id = d.conversation_id AND l.channel = d.channel
	WHERE d.next_attempt_at <= ?1
	  AND (d.lease_until IS NULL OR d.lease_until < ?1)` + claimSkip + `
	ORDER BY h.delivery_id
	LIMIT ?2`

// claimDeliveriesSkipping is claimDeliveries passing over the channels in
// the JSON array ?3 (ClaimOptions.SkipChannels): a statement of its own, so
// the common claim keeps its plan and neither pays for the filter.
var claimDeliveriesSkipping = strings.Replace(claimDeliveries, claimSkip,
	`
	  AND d.channel NOT IN (SELECT value FROM json_each(?3))`, 1)

// claimSkip marks where claimDeliveriesSkipping adds its filter.
const claimSkip = ` -- skip`

// claimFollowers selects the pending rows behind a lane's head, in order.
const claimFollowers = `SELECT d.id, d.attempts, d.created_at, m.payload
	FROM deliveries d INDEXED BY deliveries_pending_lane
	JOIN messages m ON m.id = d.message_id
	WHERE d.conversation_id = ? AND d.channel = ? AND d.state = 'pending' AND d.id > ?
	ORDER BY d.id
	LIMIT ?`

// ClaimDeliveries leases the head of up to opt.Limit ready lanes.
func (s *Store) ClaimDeliveries(ctx context.Context, opt store.ClaimOptions) ([]store.Delivery, error) {
	return s.ClaimDeliveryRuns(ctx, opt, 1)
}

// ClaimDeliveryRuns leases the head of up to opt.Limit ready lanes, each
// with up to run-1 rows behind it; see store.RunClaimer.
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
	err := s.tx(ctx, func(tx *wtx) error {
		out = out[:0]
		heads, err := claimHeads(ctx, tx, now, opt.Limit, opt.SkipChannels)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(heads))
		for _, h := range heads {
			if len(h.ThreadRef) == 0 && h.Conversation.PreviousID != "" {
				if h.PreviousThreadRef, err = laneThread(ctx, tx, h.Conversation.PreviousID, h.Channel); err != nil {
					return err
				}
			}
			if h.Message.EditOf != "" {
				if _, h.EditOfDeskMessageID, err = originalDelivery(ctx, tx, h.Message.EditOf, h.Channel); err != nil {
					return err
				}
			}
			out = append(out, h)
			ids = append(ids, h.ID)
			if run == 1 {
				continue
			}
			n := len(out)
			if out, err = appendFollowers(ctx, tx, out, h, run-1); err != nil {
				return err
			}
			for _, f := range out[n:] {
				ids = append(ids, f.ID)
			}
		}
		return deliveries.lease(ctx, tx, ids, opt.Owner, now.Add(opt.Lease))
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	return out, nil
}

// claimHeads reads the claimable lane heads (see claimDeliveries).
func claimHeads(ctx context.Context, tx *wtx, now time.Time, limit int, skip []string) ([]store.Delivery, error) {
	query, args := claimDeliveries, []any{dbTime(now), limit}
	if len(skip) > 0 {
		list, err := json.Marshal(skip)
		if err != nil {
			return nil, err
		}
		query, args = claimDeliveriesSkipping, append(args, string(list))
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var heads []store.Delivery
	for rows.Next() {
		var d store.Delivery
		var created int64
		var body string
		d.Conversation, err = scanConversation(rows, &d.ID, &d.Channel, &d.Attempts, &created, &body, &d.ThreadRef)
		if err != nil {
			return nil, err
		}
		d.CreatedAt = goTime(created)
		if d.Message, err = payload.DecodeMessage([]byte(body)); err != nil {
			return nil, fmt.Errorf("delivery %d: %w", d.ID, err)
		}
		heads = append(heads, d)
	}
	return heads, rows.Err()
}

// appendFollowers appends up to n pending rows behind head in its lane,
// stopping before an edit whose original is still pending.
func appendFollowers(ctx context.Context, tx *wtx, out []store.Delivery, head store.Delivery, n int) ([]store.Delivery, error) {
	rows, err := tx.QueryContext(ctx, claimFollowers, head.Conversation.ID, head.Channel, head.ID, n)
	if err != nil {
		return out, err
	}
	var run []store.Delivery
	for rows.Next() {
		d := store.Delivery{Conversation: head.Conversation, Channel: head.Channel, ThreadRef: head.ThreadRef,
			PreviousThreadRef: head.PreviousThreadRef}
		var created int64
		var body string
		if err := rows.Scan(&d.ID, &d.Attempts, &created, &body); err != nil {
			rows.Close()
			return out, err
		}
		d.CreatedAt = goTime(created)
		if d.Message, err = payload.DecodeMessage([]byte(body)); err != nil {
			rows.Close()
			return out, fmt.Errorf("delivery %d: %w", d.ID, err)
		}
		run = append(run, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	for _, d := range run {
		if d.Message.EditOf != "" {
			pending, deskID, err := originalDelivery(ctx, tx, d.Message.EditOf, d.Channel)
			if err != nil {
				return out, err
			}
			if pending {
				break
			}
			d.EditOfDeskMessageID = deskID
		}
		out = append(out, d)
	}
	return out, nil
}

// originalDelivery looks up the delivery of an edited message's original to
// the channel: whether it is still pending, and the desk's id for it once
// done (empty when it failed or was never routed there).
func originalDelivery(ctx context.Context, tx *wtx, messageID, channel string) (pending bool, deskMessageID string, err error) {
	var state string
	var deskID sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT state, desk_message_id FROM deliveries
		WHERE message_id = ? AND channel = ?`, messageID, channel).Scan(&state, &deskID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, "", nil
	case err != nil:
		return false, "", err
	case state == "done":
		return false, deskID.String, nil
	}
	return state == "pending", "", nil
}

// ReleaseDeliveries gives back owner's leases on rows it did not attempt;
// see store.RunClaimer.
func (s *Store) ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL, updated_at = ?
			WHERE id IN (SELECT value FROM json_each(?)) AND state = 'pending' AND lease_owner = ?`,
			dbTime(time.Now()), string(list), owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("releasing deliveries: %w", err)
	}
	return nil
}

var _ store.RunClaimer = (*Store)(nil)

// CompleteDelivery marks a delivery done and keeps the lane's thread
// reference (the newest the plugin returned) and the desk's message id.
func (s *Store) CompleteDelivery(ctx context.Context, id int64, owner string, threadRef []byte, deskMessageID string) error {
	err := s.tx(ctx, func(tx *wtx) error {
		return completeDelivery(ctx, tx, owner, store.Completion{ID: id, ThreadRef: threadRef, DeskMessageID: deskMessageID})
	})
	if err != nil {
		return fmt.Errorf("completing delivery %d: %w", id, err)
	}
	return nil
}

// CompleteDeliveries records a batch of completions in one transaction;
// see store.DeliveryCompleter.
func (s *Store) CompleteDeliveries(ctx context.Context, owner string, cs []store.Completion) ([]error, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	var errs []error
	err := s.tx(ctx, func(tx *wtx) error {
		errs = make([]error, len(cs))
		for i, c := range cs {
			err := completeDelivery(ctx, tx, owner, c)
			switch {
			case errors.Is(err, store.ErrLeaseLost) || errors.Is(err, store.ErrNotFound):
				// finish changed nothing for this row; the others go on.
				errs[i] = fmt.Errorf("completing delivery %d: %w", c.ID, err)
			case err != nil:
				return fmt.Errorf("delivery %d: %w", c.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("completing deliveries: %w", err)
	}
	return errs, nil
}

var _ store.DeliveryCompleter = (*Store)(nil)

func completeDelivery(ctx context.Context, tx *wtx, owner string, c store.Completion) error {
	conv, channel, err := deliveries.finish(ctx, tx, c.ID, owner, `state = 'done', desk_message_id = ?`, c.DeskMessageID)
	if err != nil || len(c.ThreadRef) == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO lanes (conversation_id, channel, thread_ref, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (conversation_id, channel) DO UPDATE SET thread_ref = excluded.thread_ref, updated_at = excluded.updated_at
		WHERE thread_ref <> excluded.thread_ref`, conv, channel, c.ThreadRef, dbTime(time.Now()))
	return err
}

// RetryDelivery records a failed attempt and schedules the next one.
func (s *Store) RetryDelivery(ctx context.Context, id int64, owner string, next time.Time, lastErr string) error {
	return deliveries.retry(ctx, s, id, owner, next, lastErr)
}

// FailDelivery gives up on a delivery; its lane moves on.
func (s *Store) FailDelivery(ctx context.Context, id int64, owner string, lastErr string) error {
	return deliveries.fail(ctx, s, id, owner, lastErr)
}

// laneThread is the thread reference of a conversation in a channel, nil
// when it has none.
func laneThread(ctx context.Context, tx *wtx, conversationID, channel string) ([]byte, error) {
	var ref []byte
	err := tx.QueryRowContext(ctx, `SELECT thread_ref FROM lanes WHERE conversation_id = ? AND channel = ?`, conversationID, channel).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return ref, err
}
