package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
)

// RetryFailed makes failed rows of a channel ready now with their attempts
// reset; see store.FailedRetrier. Each row goes back to the head of its
// lane, as with RetryNow.
func (s *Store) RetryFailed(ctx context.Context, channel string) (int, error) {
	now := dbTime(time.Now())
	total := 0
	err := s.tx(ctx, func(tx *wtx) error {
		total = 0
		for _, q := range []queue{deliveries, replies} {
			where := `state = 'failed'`
			var args []any
			switch {
			case channel == "":
			case q == replies && channel != replyBacklogChannel:
				continue
			case q == deliveries:
				where += ` AND channel = ?2`
				args = append(args, channel)
			}
			res, err := tx.ExecContext(ctx, `UPDATE `+q.table+` SET state = 'pending', attempts = 0,
				next_attempt_at = MIN(next_attempt_at, ?1), updated_at = ?1 WHERE `+where, append([]any{now}, args...)...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("retrying failed rows: %w", err)
	}
	return total, nil
}

var _ store.FailedRetrier = (*Store)(nil)

// RecordReplyProgress keeps how far a reply got; see
// store.ReplyProgressRecorder.
func (s *Store) RecordReplyProgress(ctx context.Context, id int64, owner string, sent []int64) error {
	ids, err := payload.EncodeIDs(sent)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE replies SET telegram_message_ids = ?, updated_at = ?
			WHERE id = ? AND state = 'pending' AND lease_owner = ?`, string(ids), dbTime(time.Now()), id, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrLeaseLost
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording the progress of reply %d: %w", id, err)
	}
	return nil
}

var _ store.ReplyProgressRecorder = (*Store)(nil)
