package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
)

// RetryFailed makes failed rows of a channel ready now with their attempts
// reset; see store.FailedRetrier. Each row goes back to the head of its
// lane, as with RetryNow.
func (s *Store) RetryFailed(ctx context.Context, channel string) (int, error) {
	total := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		total = 0
		for _, q := range []queue{deliveries, replies} {
			where := `state = 'failed'`
			args := []any{time.Now()}
			switch {
			case channel == "":
			case q.table == replies.table && channel != replyBacklogChannel:
				continue
			case q.table == deliveries.table:
				where += ` AND channel = $2`
				args = append(args, channel)
			}
			tag, err := tx.Exec(ctx, `UPDATE `+q.table+` SET state = 'pending', attempts = 0,
				next_attempt_at = LEAST(next_attempt_at, $1), updated_at = $1 WHERE `+where, args...)
			if err != nil {
				return err
			}
			total += int(tag.RowsAffected())
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
	var tag pgconn.CommandTag
	err = again(ctx, func() (err error) {
		tag, err = s.pool.Exec(ctx, `UPDATE replies SET telegram_message_ids = $1, updated_at = $2
			WHERE id = $3 AND state = 'pending' AND lease_owner = $4`, string(ids), time.Now(), id, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording the progress of reply %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("recording the progress of reply %d: %w", id, store.ErrLeaseLost)
	}
	return nil
}

var _ store.ReplyProgressRecorder = (*Store)(nil)
