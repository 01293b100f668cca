package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// conversationCols are read by scanConversation, in order; "c" is the
// conversations table's alias in every query that uses them.
const conversationCols = `c.id, c.number, c.chat_id, c.telegram_user_id, c.first_name, c.last_name,
	c.username, c.language_code, c.photo_url, c.start_payload, c.blocked, c.started_at, c.updated_at`

// querier is what reads need, inside or outside a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type scanner interface{ Scan(dest ...any) error }

// scanConversation reads conversationCols, followed by extra destinations.
func scanConversation(row scanner, extra ...any) (store.Conversation, error) {
	var c store.Conversation
	var started, updated int64
	dest := append([]any{&c.ID, &c.Number, &c.ChatID, &c.Contact.TelegramUserID, &c.Contact.FirstName,
		&c.Contact.LastName, &c.Contact.Username, &c.Contact.LanguageCode, &c.Contact.PhotoURL,
		&c.StartPayload, &c.Blocked, &started, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Conversation{}, err
	}
	c.StartedAt, c.UpdatedAt = goTime(started), goTime(updated)
	return c, nil
}

func conversationWhere(ctx context.Context, q querier, where string, arg any) (store.Conversation, error) {
	c, err := scanConversation(q.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations c WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Conversation{}, store.ErrNotFound
	}
	return c, err
}

// Conversation finds a conversation by id.
func (s *Store) Conversation(ctx context.Context, id string) (store.Conversation, error) {
	c, err := conversationWhere(ctx, s.read, `c.id = ?`, id)
	if err != nil {
		return c, fmt.Errorf("conversation %s: %w", id, err)
	}
	return c, nil
}

// ConversationByChat finds a conversation by Telegram chat id.
func (s *Store) ConversationByChat(ctx context.Context, chatID int64) (store.Conversation, error) {
	c, err := conversationWhere(ctx, s.read, `c.chat_id = ?`, chatID)
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
	rows, err := s.read.QueryContext(ctx, `SELECT `+conversationCols+` FROM conversations c
		ORDER BY c.updated_at DESC, c.number DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	defer rows.Close()
	var out []store.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("listing conversations: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	return out, nil
}

// SetBlocked marks a conversation blocked or unblocked.
func (s *Store) SetBlocked(ctx context.Context, conversationID string, blocked bool) error {
	res, err := s.write.ExecContext(ctx, `UPDATE conversations SET blocked = ? WHERE id = ?`, blocked, conversationID)
	if err != nil {
		return fmt.Errorf("marking conversation %s blocked=%t: %w", conversationID, blocked, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("conversation %s: %w", conversationID, store.ErrNotFound)
	}
	return nil
}

// upsertConversation finds the conversation of in.ChatID, creating it (with
// the next Number) when new and refreshing the contact otherwise. in.Time
// must be set. One statement does it (it runs for every update): the
// insert takes a fresh id, and a conflict on chat_id updates the existing
// row instead, so the returned id tells which happened.
func upsertConversation(ctx context.Context, tx *wtx, in store.Inbound, newID func() string) (store.Conversation, bool, error) {
	t := dbTime(in.Time)
	payload := ""
	if in.StartPayload != nil {
		payload = *in.StartPayload
	}
	ct := in.Contact
	// An update without a sender (a channel post, a service message) must
	// not wipe the contact we know.
	hasContact := ct != (sdk.Contact{})
	id := newID()
	c, err := scanConversation(tx.QueryRowContext(ctx, upsertConversationSQL,
		id, in.ChatID, ct.TelegramUserID, ct.FirstName, ct.LastName, ct.Username, ct.LanguageCode,
		ct.PhotoURL, payload, t, hasContact, in.StartPayload != nil))
	if err != nil {
		return c, false, fmt.Errorf("storing the conversation of chat %d: %w", in.ChatID, err)
	}
	return c, c.ID == id, nil
}

// upsertConversationSQL returns conversationCols, named bare: RETURNING
// cannot use the "c" alias.
const upsertConversationSQL = `INSERT INTO conversations AS c (id, number, chat_id, telegram_user_id,
	first_name, last_name, username, language_code, photo_url, start_payload, started_at, updated_at)
	VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM conversations), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
	ON CONFLICT (chat_id) DO UPDATE SET
		updated_at = MAX(c.updated_at, excluded.updated_at),
		telegram_user_id = CASE WHEN ?11 THEN excluded.telegram_user_id ELSE c.telegram_user_id END,
		first_name = CASE WHEN ?11 THEN excluded.first_name ELSE c.first_name END,
		last_name = CASE WHEN ?11 THEN excluded.last_name ELSE c.last_name END,
		username = CASE WHEN ?11 THEN excluded.username ELSE c.username END,
		language_code = CASE WHEN ?11 THEN excluded.language_code ELSE c.language_code END,
		photo_url = CASE WHEN ?11 THEN excluded.photo_url ELSE c.photo_url END,
		start_payload = CASE WHEN ?12 THEN excluded.start_payload ELSE c.start_payload END
	RETURNING id, number, chat_id, telegram_user_id, first_name, last_name,
		username, language_code, photo_url, start_payload, blocked, started_at, updated_at`
