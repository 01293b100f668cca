package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/sdk"
)

// erasureLike matches the ids of erasure notices (ident.ErasurePrefix),
// as the pattern of a LIKE.
const erasureLike = `'nf\_%' ESCAPE '\'`

// PurgeFinished implements store.Lifetime. The messages are locked with
// SKIP LOCKED, so replicas purging at once take different batches instead
// of waiting for each other.
func (s *Store) PurgeFinished(ctx context.Context, before time.Time, limit int) (store.Purged, error) {
	var p store.Purged
	if limit <= 0 {
		return p, nil
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT m.id FROM messages m
			WHERE m.created_at < $1
			  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state <> 'done')
			ORDER BY m.created_at LIMIT $2
			FOR UPDATE OF m SKIP LOCKED`, before, limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE message_id = ANY($1)`, ids); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `DELETE FROM messages WHERE id = ANY($1)`, ids)
			if err != nil {
				return err
			}
			p.Messages = int(tag.RowsAffected())
		}
		tag, err := tx.Exec(ctx, `DELETE FROM replies WHERE id = ANY(ARRAY(
			SELECT id FROM replies WHERE state = 'done' AND created_at < $1 ORDER BY created_at LIMIT $2
			FOR UPDATE SKIP LOCKED))`, before, limit)
		if err != nil {
			return err
		}
		p.Replies = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return store.Purged{}, fmt.Errorf("purging messages older than %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return p, nil
}

// ForgetTelegramUser implements store.Lifetime: one transaction per
// conversation, under the conversation's lock, so intake of a new message
// of the user waits for the erasure and is kept.
func (s *Store) ForgetTelegramUser(ctx context.Context, userID int64, notice sdk.Notice) (store.Forgotten, error) {
	var f store.Forgotten
	if userID == 0 {
		return f, fmt.Errorf("forget: a Telegram user id is required")
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM conversations WHERE telegram_user_id = $1 OR chat_id = $1 ORDER BY number`, userID)
	if err != nil {
		return f, fmt.Errorf("forgetting Telegram user %d: %w", userID, err)
	}
	convs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return f, fmt.Errorf("forgetting Telegram user %d: %w", userID, err)
	}
	f.Conversations = len(convs)
	for _, id := range convs {
		var msgs, reps int
		var told []string
		err := s.tx(ctx, func(tx pgx.Tx) error {
			var err error
			msgs, reps, told, err = s.forgetConversation(ctx, tx, id, notice)
			return err
		})
		if err != nil {
			return f, fmt.Errorf("forgetting Telegram user %d: conversation %s: %w", userID, id, err)
		}
		if msgs+reps > 0 || told != nil {
			f.Erased++
		}
		f.Messages += msgs
		f.Replies += reps
		f.Notified = append(f.Notified, told...)
	}
	slices.Sort(f.Notified)
	f.Notified = slices.Compact(f.Notified)
	return f, nil
}

// forgetConversation erases one conversation in tx; told is non-nil (if
// empty) when there was something to erase.
func (s *Store) forgetConversation(ctx context.Context, tx pgx.Tx, id string, notice sdk.Notice) (msgs, reps int, told []string, err error) {
	if err := lockConversation(ctx, tx, id); err != nil {
		return 0, 0, nil, err
	}
	rows, err := tx.Query(ctx, `SELECT channel FROM lanes WHERE conversation_id = $1
		UNION SELECT channel FROM deliveries WHERE conversation_id = $1 ORDER BY 1`, id)
	if err != nil {
		return 0, 0, nil, err
	}
	channels, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, 0, nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE conversation_id = $1 AND message_id NOT LIKE `+erasureLike, id); err != nil {
		return 0, 0, nil, err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM messages WHERE conversation_id = $1 AND id NOT LIKE `+erasureLike, id)
	if err != nil {
		return 0, 0, nil, err
	}
	msgs = int(tag.RowsAffected())
	if tag, err = tx.Exec(ctx, `DELETE FROM replies WHERE conversation_id = $1`, id); err != nil {
		return 0, 0, nil, err
	}
	reps = int(tag.RowsAffected())
	tag, err = tx.Exec(ctx, `UPDATE conversations SET first_name = '', last_name = '', username = '',
		language_code = '', photo_url = '', start_payload = '', photo_ref = CASE WHEN photo_ref = '' THEN '' ELSE '-' END
		WHERE id = $1 AND (first_name <> '' OR last_name <> '' OR username <> '' OR language_code <> ''
			OR photo_url <> '' OR start_payload <> '' OR photo_ref NOT IN ('', '-'))`, id)
	if err != nil {
		return 0, 0, nil, err
	}
	if msgs+reps+int(tag.RowsAffected()) == 0 {
		return 0, 0, nil, nil // forgotten before: nothing to tell again
	}
	now := s.clock()
	m := sdk.Message{ID: ident.ErasureNotice(), Time: now, Kind: sdk.KindNotice, Text: notice.Text, Notice: &notice}
	if err := insertMessage(ctx, tx, id, m, channels, now); err != nil {
		return 0, 0, nil, err
	}
	return msgs, reps, append([]string{}, channels...), nil
}
