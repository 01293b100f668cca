package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/parley-dev/parley/host/store"
)

// queue names one of the two work tables.
type queue struct {
	table string // "deliveries" or "replies"
	kind  string // "delivery" or "reply", as in store.QueueRow.Kind
}

var (
	deliveries = queue{table: "deliveries", kind: "delivery"}
	replies    = queue{table: "replies", kind: "reply"}
)

// maxErrorLen bounds a stored error: a desk's HTML error page must not
// bloat the table or the operator's listing.
const maxErrorLen = 2000

func checkClaim(opt store.ClaimOptions) error {
	if opt.Owner == "" {
		return errors.New("claim: an owner is required")
	}
	if opt.Lease <= 0 {
		return fmt.Errorf("claim: lease must be positive, got %s", opt.Lease)
	}
	return nil
}

// lease gives the rows ids to owner until the given time. The ids travel
// as one JSON array so the statement's text is the same for any number of
// rows and stays prepared (see stmtCache).
func (q queue) lease(ctx context.Context, tx *wtx, ids []int64, owner string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+q.table+` SET lease_owner = ?, lease_until = ?, updated_at = ?
		WHERE id IN (SELECT value FROM json_each(?))`, owner, dbTime(until), dbTime(time.Now()), string(list))
	if err != nil {
		return fmt.Errorf("leasing %s rows: %w", q.kind, err)
	}
	return nil
}

// finish applies set (with its args) to a pending row the owner holds and
// releases the lease, returning the row's lane. The lease may have run
// out: as long as nobody claimed the row since, the owner still holds it,
// and finishing it spares a needless second delivery.
func (q queue) finish(ctx context.Context, tx *wtx, id int64, owner, set string, args ...any) (conversationID, channel string, err error) {
	args = append(args, dbTime(time.Now()), id, owner)
	err = tx.QueryRowContext(ctx, `UPDATE `+q.table+` SET `+set+`, lease_owner = NULL, lease_until = NULL, updated_at = ?
		WHERE id = ? AND state = 'pending' AND lease_owner = ?
		RETURNING conversation_id, channel`, args...).Scan(&conversationID, &channel)
	if !errors.Is(err, sql.ErrNoRows) {
		return conversationID, channel, err
	}
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+q.table+` WHERE id = ?`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return "", "", store.ErrNotFound
	case err != nil:
		return "", "", err
	}
	return "", "", store.ErrLeaseLost
}

// retry records a failed attempt and schedules the next.
func (q queue) retry(ctx context.Context, s *Store, id int64, owner string, next time.Time, lastErr string) error {
	err := s.tx(ctx, func(tx *wtx) error {
		_, _, err := q.finish(ctx, tx, id, owner, `attempts = attempts + 1, next_attempt_at = ?, last_error = ?`,
			dbTime(next), truncateError(lastErr))
		return err
	})
	if err != nil {
		return fmt.Errorf("scheduling a retry of %s %d: %w", q.kind, id, err)
	}
	return nil
}

// fail records the last attempt and gives up on the row.
func (q queue) fail(ctx context.Context, s *Store, id int64, owner, lastErr string) error {
	err := s.tx(ctx, func(tx *wtx) error {
		_, _, err := q.finish(ctx, tx, id, owner, `state = 'failed', attempts = attempts + 1, last_error = ?`, truncateError(lastErr))
		return err
	})
	if err != nil {
		return fmt.Errorf("failing %s %d: %w", q.kind, id, err)
	}
	return nil
}

func truncateError(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	cut := maxErrorLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
