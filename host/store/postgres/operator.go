package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
)

// Queue lists deliveries and replies in the given states (all when none),
// newest first; limit <= 0 means 100.
func (s *Store) Queue(ctx context.Context, limit int, states ...store.State) ([]store.QueueRow, error) {
	if limit <= 0 {
		limit = 100
	}
	// The states are written into the statement, not passed, and as an OR
	// rather than IN: the planner can then combine deliveries_state, which
	// holds only rows not pending (migration 00003), with
	// deliveries_pending_lane for pending ones.
	filter := "true"
	if len(states) > 0 {
		var known []string
		for _, st := range []store.State{store.StatePending, store.StateDone, store.StateFailed} {
			if slices.Contains(states, st) {
				known = append(known, "state = '"+string(st)+"'")
			}
		}
		filter = "false"
		if len(known) > 0 {
			filter = "(" + strings.Join(known, " OR ") + ")"
		}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT * FROM (
			SELECT id, 'delivery' AS kind, channel, conversation_id, message_id, state, attempts, last_error, next_attempt_at, created_at
			FROM deliveries WHERE `+filter+`
			UNION ALL
			SELECT id, 'reply', channel, conversation_id, external_id, state, attempts, last_error, next_attempt_at, created_at
			FROM replies WHERE `+filter+`
		) q ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing the queue: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.QueueRow, error) {
		var r store.QueueRow
		err := row.Scan(&r.ID, &r.Kind, &r.Channel, &r.ConversationID, &r.MessageID, &r.State,
			&r.Attempts, &r.LastError, &r.NextAttemptAt, &r.CreatedAt)
		r.NextAttemptAt, r.CreatedAt = r.NextAttemptAt.UTC(), r.CreatedAt.UTC()
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing the queue: %w", err)
	}
	return out, nil
}

// RetryNow makes a failed or pending row ready now with its attempts reset.
// A row an owner holds keeps its lease, so it is never worked on twice at
// once. A failed row goes back to the head of its lane, ahead of anything
// queued after it.
func (s *Store) RetryNow(ctx context.Context, kind string, id int64) error {
	var q queue
	switch kind {
	case deliveries.kind:
		q = deliveries
	case replies.kind:
		q = replies
	default:
		return fmt.Errorf("retry: unknown kind %q (want %q or %q)", kind, deliveries.kind, replies.kind)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE `+q.table+` SET state = 'pending', attempts = 0,
			next_attempt_at = LEAST(next_attempt_at, now()), updated_at = now()
			WHERE id = $1 AND state IN ('pending', 'failed')`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		var state string
		switch err := tx.QueryRow(ctx, `SELECT state FROM `+q.table+` WHERE id = $1`, id).Scan(&state); {
		case err == nil:
			return fmt.Errorf("it is %s: only pending and failed rows can be retried", state)
		case errors.Is(err, pgx.ErrNoRows):
			return store.ErrNotFound
		default:
			return err
		}
	})
	if err != nil {
		return fmt.Errorf("retrying %s %d: %w", kind, id, err)
	}
	return nil
}

// replyBacklogChannel is where Backlog counts replies: they all go to
// Telegram, whichever desk wrote them.
const replyBacklogChannel = "telegram"

// Backlog summarises pending and failed rows per channel, sorted by
// channel. The states are an OR so that pending and failed deliveries are
// each read through their own partial index (see Queue).
func (s *Store) Backlog(ctx context.Context) ([]store.Backlog, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT channel, COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'failed'),
			MIN(created_at) FILTER (WHERE state = 'pending')
		FROM deliveries WHERE state = 'pending' OR state = 'failed' GROUP BY channel
		UNION ALL
		SELECT $1::text, COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'failed'),
			MIN(created_at) FILTER (WHERE state = 'pending')
		FROM replies WHERE state IN ('pending', 'failed') HAVING COUNT(*) > 0`, replyBacklogChannel)
	if err != nil {
		return nil, fmt.Errorf("reading the backlog: %w", err)
	}
	defer rows.Close()
	byChannel := map[string]*store.Backlog{}
	for rows.Next() {
		var b store.Backlog
		var oldest *time.Time
		if err := rows.Scan(&b.Channel, &b.Pending, &b.Failed, &oldest); err != nil {
			return nil, fmt.Errorf("reading the backlog: %w", err)
		}
		if oldest != nil {
			b.OldestPending = oldest.UTC()
		}
		// A desk channel named "telegram" would share the replies' row.
		if prev, ok := byChannel[b.Channel]; ok {
			prev.Pending += b.Pending
			prev.Failed += b.Failed
			if !b.OldestPending.IsZero() && (prev.OldestPending.IsZero() || b.OldestPending.Before(prev.OldestPending)) {
				prev.OldestPending = b.OldestPending
			}
			continue
		}
		byChannel[b.Channel] = &b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the backlog: %w", err)
	}
	out := make([]store.Backlog, 0, len(byChannel))
	for _, b := range byChannel {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out, nil
}
