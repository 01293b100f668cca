package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
)

// claimedDeliveries reads what a worker needs of the rows it leased.
const claimedDeliveries = `SELECT ` + conversationCols + `, d.id, d.channel, d.attempts, d.created_at, m.payload::text, l.thread_ref
	FROM deliveries d
	JOIN messages m ON m.id = d.message_id
	JOIN conversations c ON c.id = d.conversation_id
	LEFT JOIN lanes l ON l.conversation_id = d.conversation_id AND l.channel = d.channel
	WHERE d.id = ANY($1)
	ORDER BY d.id`

// ClaimDeliveries leases the head of up to opt.Limit ready lanes; see
// queue.claim for how replicas share the work.
func (s *Store) ClaimDeliveries(ctx context.Context, opt store.ClaimOptions) ([]store.Delivery, error) {
	if err := checkClaim(opt); err != nil {
		return nil, err
	}
	if opt.Limit <= 0 {
		return nil, nil
	}
	now := nowOr(opt.Now)
	var out []store.Delivery
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = nil
		ids, err := deliveries.claim(ctx, tx, opt.Limit, opt.Owner, now, now.Add(opt.Lease))
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.Query(ctx, claimedDeliveries, ids)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Delivery, error) {
			var d store.Delivery
			var body string
			var err error
			d.Conversation, err = scanConversation(row, &d.ID, &d.Channel, &d.Attempts, &d.CreatedAt, &body, &d.ThreadRef)
			if err != nil {
				return d, err
			}
			d.CreatedAt = d.CreatedAt.UTC()
			if d.Message, err = payload.DecodeMessage([]byte(body)); err != nil {
				return d, fmt.Errorf("delivery %d: %w", d.ID, err)
			}
			return d, nil
		})
		if err != nil {
			return err
		}
		for i, d := range out {
			if d.Message.EditOf == "" {
				continue
			}
			err := tx.QueryRow(ctx, `SELECT desk_message_id FROM deliveries
				WHERE message_id = $1 AND channel = $2 AND state = 'done'`, d.Message.EditOf, d.Channel).
				Scan(&out[i].EditOfDeskMessageID)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	return out, nil
}

// CompleteDelivery marks a delivery done and keeps the lane's thread
// reference (the newest the plugin returned) and the desk's message id.
func (s *Store) CompleteDelivery(ctx context.Context, id int64, owner string, threadRef []byte, deskMessageID string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		conv, channel, err := deliveries.finish(ctx, tx, id, owner, `state = 'done', desk_message_id = $3`, cleanText(deskMessageID))
		if err != nil || len(threadRef) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO lanes (conversation_id, channel, thread_ref, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (conversation_id, channel) DO UPDATE SET thread_ref = excluded.thread_ref, updated_at = excluded.updated_at
			WHERE lanes.thread_ref <> excluded.thread_ref`, conv, channel, threadRef, time.Now())
		return err
	})
	if err != nil {
		return fmt.Errorf("completing delivery %d: %w", id, err)
	}
	return nil
}

// RetryDelivery records a failed attempt and schedules the next one.
func (s *Store) RetryDelivery(ctx context.Context, id int64, owner string, next time.Time, lastErr string) error {
	return deliveries.retry(ctx, s, id, owner, next, lastErr)
}

// FailDelivery gives up on a delivery; its lane moves on.
func (s *Store) FailDelivery(ctx context.Context, id int64, owner string, lastErr string) error {
	return deliveries.fail(ctx, s, id, owner, lastErr)
}
