package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// conversationCols are read by scanConversation, in order; "c" is the
// conversations table's alias in every query that uses them.
const conversationCols = `c.id, c.number, c.chat_id, c.telegram_user_id, c.first_name, c.last_name,
	c.username, c.language_code, c.photo_url, c.start_payload, c.blocked, c.started_at, c.updated_at`

// scanConversation reads conversationCols, followed by extra destinations.
func scanConversation(row pgx.Row, extra ...any) (store.Conversation, error) {
	var c store.Conversation
	dest := append([]any{&c.ID, &c.Number, &c.ChatID, &c.Contact.TelegramUserID, &c.Contact.FirstName,
		&c.Contact.LastName, &c.Contact.Username, &c.Contact.LanguageCode, &c.Contact.PhotoURL,
		&c.StartPayload, &c.Blocked, &c.StartedAt, &c.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Conversation{}, err
	}
	c.StartedAt, c.UpdatedAt = c.StartedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// conversationWhere reads one conversation; suffix may lock it ("FOR NO
// KEY UPDATE").
func conversationWhere(ctx context.Context, q querier, where string, arg any, suffix string) (store.Conversation, error) {
	c, err := scanConversation(q.QueryRow(ctx, `SELECT `+conversationCols+` FROM conversations c WHERE `+where+` `+suffix, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Conversation{}, store.ErrNotFound
	}
	return c, err
}

// lockConversation takes the conversation's row lock until the
// transaction ends. Every writer of a conversation's deliveries or replies
// takes it before inserting, so the ids of a lane commit in increasing
// order: a claimer can never see a row of a lane while an earlier one is
// still uncommitted, which would let it jump the queue. (FOR NO KEY UPDATE
// leaves the foreign-key checks of the inserts free.)
func lockConversation(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := conversationWhere(ctx, tx, `c.id = $1`, id, `FOR NO KEY UPDATE`)
	return err
}

// Conversation finds a conversation by id.
func (s *Store) Conversation(ctx context.Context, id string) (store.Conversation, error) {
	c, err := conversationWhere(ctx, s.pool, `c.id = $1`, id, "")
	if err != nil {
		return c, fmt.Errorf("conversation %s: %w", id, err)
	}
	return c, nil
}

// ConversationByChat finds a conversation by Telegram chat id.
func (s *Store) ConversationByChat(ctx context.Context, chatID int64) (store.Conversation, error) {
	c, err := conversationWhere(ctx, s.pool, `c.chat_id = $1`, chatID, "")
	if err != nil {
		return c, fmt.Errorf("conversation of chat %d: %w", chatID, err)
	}
	return c, nil
}

// Conversations lists the most recently active conversations; limit <= 0
// means 100.
func (s *Store) Conversations(ctx context.Context, limit int) ([]store.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+conversationCols+` FROM conversations c
		ORDER BY c.updated_at DESC, c.number DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Conversation, error) { return scanConversation(r) })
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	return out, nil
}

// SetBlocked marks a conversation blocked or unblocked.
func (s *Store) SetBlocked(ctx context.Context, conversationID string, blocked bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE conversations SET blocked = $1 WHERE id = $2`, blocked, conversationID)
	if err != nil {
		return fmt.Errorf("marking conversation %s blocked=%t: %w", conversationID, blocked, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("conversation %s: %w", conversationID, store.ErrNotFound)
	}
	return nil
}

// upsertConversation finds the conversation of in.ChatID, creating it (with
// the next Number) when new and refreshing the contact otherwise, and
// leaves it locked (see lockConversation). in.Time must be set.
func upsertConversation(ctx context.Context, tx pgx.Tx, in store.Inbound, newID func() string) (store.Conversation, bool, error) {
	c, err := conversationWhere(ctx, tx, `c.chat_id = $1`, in.ChatID, "")
	if errors.Is(err, store.ErrNotFound) {
		// Serialise creators, then look again: another replica may have
		// created this chat's conversation while we waited.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockNumbers); err != nil {
			return c, false, err
		}
		c, err = conversationWhere(ctx, tx, `c.chat_id = $1`, in.ChatID, "")
		if errors.Is(err, store.ErrNotFound) {
			return createConversation(ctx, tx, in, newID)
		}
	}
	if err != nil {
		return c, false, err
	}

	set := []string{`updated_at = GREATEST(updated_at, $1)`}
	args := []any{in.Time}
	// An update without a sender (a channel post, a service message) must
	// not wipe the contact we know.
	if ct := in.Contact; ct != (sdk.Contact{}) {
		set = append(set, `telegram_user_id = $2, first_name = $3, last_name = $4, username = $5, language_code = $6, photo_url = $7`)
		args = append(args, ct.TelegramUserID, cleanText(ct.FirstName), cleanText(ct.LastName), cleanText(ct.Username),
			cleanText(ct.LanguageCode), cleanText(ct.PhotoURL))
	}
	if in.StartPayload != nil {
		args = append(args, cleanText(*in.StartPayload))
		set = append(set, fmt.Sprintf(`start_payload = $%d`, len(args)))
	}
	args = append(args, c.ID)
	c, err = scanConversation(tx.QueryRow(ctx, `UPDATE conversations c SET `+strings.Join(set, ", ")+
		fmt.Sprintf(` WHERE id = $%d RETURNING `, len(args))+conversationCols, args...))
	if err != nil {
		return c, false, fmt.Errorf("updating the conversation of chat %d: %w", in.ChatID, err)
	}
	return c, false, nil
}

// createConversation inserts the conversation of in.ChatID with the next
// number; the caller holds the lockNumbers lock.
func createConversation(ctx context.Context, tx pgx.Tx, in store.Inbound, newID func() string) (store.Conversation, bool, error) {
	payload := ""
	if in.StartPayload != nil {
		payload = *in.StartPayload
	}
	ct := in.Contact
	c, err := scanConversation(tx.QueryRow(ctx, `INSERT INTO conversations AS c (id, number, chat_id, telegram_user_id,
		first_name, last_name, username, language_code, photo_url, start_payload, started_at, updated_at)
		VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM conversations), $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		RETURNING `+conversationCols,
		newID(), in.ChatID, ct.TelegramUserID, cleanText(ct.FirstName), cleanText(ct.LastName), cleanText(ct.Username),
		cleanText(ct.LanguageCode), cleanText(ct.PhotoURL), cleanText(payload), in.Time))
	if err != nil {
		return c, false, fmt.Errorf("creating the conversation of chat %d: %w", in.ChatID, err)
	}
	return c, true, nil
}

// touch moves a conversation's activity time forward to t.
func touch(ctx context.Context, tx pgx.Tx, id string, t time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE conversations SET updated_at = GREATEST(updated_at, $1) WHERE id = $2`, t, id)
	return err
}
