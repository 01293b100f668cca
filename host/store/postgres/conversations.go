package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/route"
)

// conversationCols are read by scanConversation, in order; "c" is the
// conversations table's alias in every query that uses them.
const conversationCols = `c.id, c.number, c.chat_id, c.telegram_user_id, c.first_name, c.last_name,
	c.username, c.language_code, c.photo_url, c.start_payload, c.blocked, c.started_at, c.updated_at,
	c.state, c.claimed_by, c.closed_by, c.close_reason, c.closed_at, c.previous_id, c.previous_number,
	c.bot, c.business_connection_id, c.photo_ref, c.route`

// scanConversation reads conversationCols, followed by extra destinations.
func scanConversation(row pgx.Row, extra ...any) (store.Conversation, error) {
	var c store.Conversation
	var closed *time.Time
	var routeCol string
	dest := append([]any{&c.ID, &c.Number, &c.ChatID, &c.Contact.TelegramUserID, &c.Contact.FirstName,
		&c.Contact.LastName, &c.Contact.Username, &c.Contact.LanguageCode, &c.Contact.PhotoURL,
		&c.StartPayload, &c.Blocked, &c.StartedAt, &c.UpdatedAt,
		&c.State, &c.ClaimedBy, &c.ClosedBy, &c.CloseReason, &closed, &c.PreviousID, &c.PreviousNumber,
		&c.Bot, &c.BusinessConnectionID, &c.PhotoRef, &routeCol}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Conversation{}, err
	}
	route.Decode(routeCol, &c)
	c.StartedAt, c.UpdatedAt = c.StartedAt.UTC(), c.UpdatedAt.UTC()
	if closed != nil {
		c.ClosedAt = closed.UTC()
	}
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

// ConversationByChat finds the latest conversation of a chat of the
// default bot.
func (s *Store) ConversationByChat(ctx context.Context, chatID int64) (store.Conversation, error) {
	return s.ConversationByKey(ctx, store.ChatKey{ChatID: chatID})
}

// ConversationByKey finds the latest conversation of a chat.
func (s *Store) ConversationByKey(ctx context.Context, key store.ChatKey) (store.Conversation, error) {
	bot := store.BotOr(key.Bot)
	c, err := scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationCols+` FROM conversations c
		WHERE c.chat_id = $1 AND c.bot = $2 AND c.business_connection_id = $3 ORDER BY c.number DESC LIMIT 1`,
		key.ChatID, bot, cleanText(key.BusinessConnectionID)))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("conversation of chat %d of bot %s: %w", key.ChatID, bot, err)
	}
	return c, nil
}

// Conversations lists the most recently active conversations; limit <= 0
// means 100.
func (s *Store) Conversations(ctx context.Context, limit int) ([]store.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.listConversations(ctx, `true ORDER BY c.updated_at DESC, c.number DESC LIMIT $1`, limit)
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

// touch moves a conversation's activity time forward to t.
func touch(ctx context.Context, tx pgx.Tx, id string, t time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE conversations SET updated_at = GREATEST(updated_at, $1) WHERE id = $2`, t, id)
	return err
}
