package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/sdk"
)

// erasureLike matches the ids of erasure notices (ident.ErasurePrefix),
// as the pattern of a LIKE.
const erasureLike = `'nf\_%' ESCAPE '\'`

// PurgeFinished implements store.Lifetime.
func (s *Store) PurgeFinished(ctx context.Context, before time.Time, limit int) (store.Purged, error) {
	var p store.Purged
	if limit <= 0 {
		return p, nil
	}
	err := s.tx(ctx, func(tx *wtx) error {
		rows, err := tx.QueryContext(ctx, `SELECT m.id FROM messages m
			WHERE m.created_at < ?
			  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state <> 'done')
			ORDER BY m.created_at LIMIT ?`, dbTime(before), limit)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) > 0 {
			list, _ := json.Marshal(ids)
			if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE message_id IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))`, string(list))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			p.Messages = int(n)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM replies WHERE id IN (
			SELECT id FROM replies WHERE state = 'done' AND created_at < ? ORDER BY created_at LIMIT ?)`, dbTime(before), limit)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		p.Replies = int(n)
		return nil
	})
	if err != nil {
		return store.Purged{}, fmt.Errorf("purging messages older than %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return p, nil
}

// ForgetTelegramUser implements store.Lifetime: one transaction per
// conversation (see store.Lifetime).
func (s *Store) ForgetTelegramUser(ctx context.Context, userID int64, notice sdk.Notice) (store.Forgotten, error) {
	var f store.Forgotten
	if userID == 0 {
		return f, fmt.Errorf("forget: a Telegram user id is required")
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM conversations WHERE telegram_user_id = ? OR chat_id = ? ORDER BY number`, userID, userID)
	if err != nil {
		return f, fmt.Errorf("forgetting Telegram user %d: %w", userID, err)
	}
	var convs []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return f, fmt.Errorf("forgetting Telegram user %d: %w", userID, err)
		}
		convs = append(convs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("forgetting Telegram user %d: %w", userID, err)
	}
	f.Conversations = len(convs)
	for _, id := range convs {
		var msgs, reps int
		var told []string
		err := s.tx(ctx, func(tx *wtx) error {
			var err error
			msgs, reps, told, err = forgetConversation(ctx, tx, id, notice)
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
func forgetConversation(ctx context.Context, tx *wtx, id string, notice sdk.Notice) (msgs, reps int, told []string, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT channel FROM lanes WHERE conversation_id = ?
		UNION SELECT channel FROM deliveries WHERE conversation_id = ? ORDER BY 1`, id, id)
	if err != nil {
		return 0, 0, nil, err
	}
	var channels []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			rows.Close()
			return 0, 0, nil, err
		}
		channels = append(channels, ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, nil, err
	}
	count := func(res interface{ RowsAffected() (int64, error) }) int {
		n, _ := res.RowsAffected()
		return int(n)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE conversation_id = ? AND message_id NOT LIKE `+erasureLike, id); err != nil {
		return 0, 0, nil, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE conversation_id = ? AND id NOT LIKE `+erasureLike, id)
	if err != nil {
		return 0, 0, nil, err
	}
	msgs = count(res)
	if res, err = tx.ExecContext(ctx, `DELETE FROM replies WHERE conversation_id = ?`, id); err != nil {
		return 0, 0, nil, err
	}
	reps = count(res)
	res, err = tx.ExecContext(ctx, `UPDATE conversations SET first_name = '', last_name = '', username = '',
		language_code = '', photo_url = '', start_payload = '', photo_ref = CASE WHEN photo_ref = '' THEN '' ELSE '-' END
		WHERE id = ? AND (first_name <> '' OR last_name <> '' OR username <> '' OR language_code <> ''
			OR photo_url <> '' OR start_payload <> '' OR photo_ref NOT IN ('', '-'))`, id)
	if err != nil {
		return 0, 0, nil, err
	}
	if msgs+reps+count(res) == 0 {
		return 0, 0, nil, nil // forgotten before: nothing to tell again
	}
	now := time.Now()
	m := sdk.Message{ID: ident.ErasureNotice(), Time: now, Kind: sdk.KindNotice, Text: notice.Text, Notice: &notice}
	if err := insertMessage(ctx, tx, id, m, channels, now); err != nil {
		return 0, 0, nil, err
	}
	return msgs, reps, append([]string{}, channels...), nil
}
