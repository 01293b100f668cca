package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/store"
)

// Queue lists deliveries and replies in the given states (all when none),
// newest first; limit <= 0 means 100.
func (s *Store) Queue(ctx context.Context, limit int, states ...store.State) ([]store.QueueRow, error) {
	if limit <= 0 {
		limit = 100
	}
	where, args := "", []any{}
	if len(states) > 0 {
		marks := make([]string, len(states))
		for i, st := range states {
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = `WHERE state IN (` + strings.Join(marks, ", ") + `)`
	}
	args = append(append(args, args...), limit)
	rows, err := s.read.QueryContext(ctx, `
		SELECT * FROM (
			SELECT id, 'delivery' AS kind, channel, conversation_id, message_id, state, attempts, last_error, next_attempt_at, created_at
			FROM deliveries `+where+`
			UNION ALL
			SELECT id, 'reply', channel, conversation_id, external_id, state, attempts, last_error, next_attempt_at, created_at
			FROM replies `+where+`
		) ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing the queue: %w", err)
	}
	defer rows.Close()
	var out []store.QueueRow
	for rows.Next() {
		var r store.QueueRow
		var next, created int64
		if err := rows.Scan(&r.ID, &r.Kind, &r.Channel, &r.ConversationID, &r.MessageID, &r.State,
			&r.Attempts, &r.LastError, &next, &created); err != nil {
			return nil, fmt.Errorf("listing the queue: %w", err)
		}
		r.NextAttemptAt, r.CreatedAt = goTime(next), goTime(created)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
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
	now := dbTime(time.Now())
	err := s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+q.table+` SET state = 'pending', attempts = 0,
			next_attempt_at = MIN(next_attempt_at, ?1), updated_at = ?1
			WHERE id = ?2 AND state IN ('pending', 'failed')`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var state string
		switch err := tx.QueryRowContext(ctx, `SELECT state FROM `+q.table+` WHERE id = ?`, id).Scan(&state); err {
		case nil:
			return fmt.Errorf("it is %s: only pending and failed rows can be retried", state)
		case sql.ErrNoRows:
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
// channel.
func (s *Store) Backlog(ctx context.Context) ([]store.Backlog, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT channel, SUM(state = 'pending'), SUM(state = 'failed'), MIN(CASE WHEN state = 'pending' THEN created_at END)
		FROM deliveries WHERE state IN ('pending', 'failed') GROUP BY channel
		UNION ALL
		SELECT ?, SUM(state = 'pending'), SUM(state = 'failed'), MIN(CASE WHEN state = 'pending' THEN created_at END)
		FROM replies WHERE state IN ('pending', 'failed') HAVING COUNT(*) > 0`, replyBacklogChannel)
	if err != nil {
		return nil, fmt.Errorf("reading the backlog: %w", err)
	}
	defer rows.Close()
	byChannel := map[string]*store.Backlog{}
	for rows.Next() {
		var b store.Backlog
		var oldest sql.NullInt64
		if err := rows.Scan(&b.Channel, &b.Pending, &b.Failed, &oldest); err != nil {
			return nil, fmt.Errorf("reading the backlog: %w", err)
		}
		if oldest.Valid {
			b.OldestPending = goTime(oldest.Int64)
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
