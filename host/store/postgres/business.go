package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

const businessColumns = `id, user_id, username, first_name, last_name, user_chat_id, rights, is_enabled, date, updated_at`

// SaveBusinessConnection stores c and returns what was stored before. The
// row lock (FOR UPDATE, or the insert's conflict) orders two replicas
// saving the same connection, so each sees the other's write as prev.
func (s *Store) SaveBusinessConnection(ctx context.Context, c store.BusinessConnection) (store.BusinessConnection, bool, error) {
	var prev store.BusinessConnection
	found := false
	rights := c.Rights
	if rights == nil {
		rights = []string{}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		p, err := scanBusiness(tx.QueryRow(ctx, `SELECT `+businessColumns+` FROM business_connections WHERE id = $1 FOR UPDATE`, c.ID))
		switch {
		case err == nil:
			prev, found = p, true
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO business_connections (`+businessColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, username = excluded.username,
				first_name = excluded.first_name, last_name = excluded.last_name, user_chat_id = excluded.user_chat_id,
				rights = excluded.rights, is_enabled = excluded.is_enabled, date = excluded.date, updated_at = excluded.updated_at`,
			cleanText(c.ID), c.UserID, cleanText(c.Username), cleanText(c.FirstName), cleanText(c.LastName), c.UserChatID,
			rights, c.Enabled, c.Date, s.nowOr(c.UpdatedAt))
		return err
	})
	if err != nil {
		return store.BusinessConnection{}, false, fmt.Errorf("saving business connection: %w", err)
	}
	return prev, found, nil
}

// BusinessConnection returns the connection of that id.
func (s *Store) BusinessConnection(ctx context.Context, id string) (store.BusinessConnection, error) {
	c, err := scanBusiness(s.pool.QueryRow(ctx, `SELECT `+businessColumns+` FROM business_connections WHERE id = $1`, cleanText(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, store.ErrNotFound
	}
	return c, err
}

// BusinessConnections lists the connections, most recently changed first.
func (s *Store) BusinessConnections(ctx context.Context) ([]store.BusinessConnection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+businessColumns+` FROM business_connections ORDER BY updated_at DESC, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.BusinessConnection, error) { return scanBusiness(r) })
}

func scanBusiness(r pgx.Row) (store.BusinessConnection, error) {
	var c store.BusinessConnection
	err := r.Scan(&c.ID, &c.UserID, &c.Username, &c.FirstName, &c.LastName, &c.UserChatID, &c.Rights, &c.Enabled, &c.Date, &c.UpdatedAt)
	c.Date, c.UpdatedAt = c.Date.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// MessageTexts returns the texts of the stored messages among ids.
func (s *Store) MessageTexts(ctx context.Context, ids []string) (map[string]string, error) {
	clean := make([]string, len(ids))
	for i, id := range ids {
		clean[i] = cleanText(id)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, payload FROM messages WHERE id = ANY($1)`, clean)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id string
		var p []byte
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		m, err := payload.DecodeMessage(p)
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", id, err)
		}
		out[id] = m.Text
	}
	return out, rows.Err()
}

// LastCustomerMessage returns the Telegram id of the conversation's latest
// customer message; it looks at the latest few rows only (notices and
// edits between are few).
func (s *Store) LastCustomerMessage(ctx context.Context, conversationID string) (int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT payload FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 20`, cleanText(conversationID))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var p []byte
		if err := rows.Scan(&p); err != nil {
			return 0, err
		}
		m, err := payload.DecodeMessage(p)
		if err == nil && m.Kind != sdk.KindNotice && m.EditOf == "" && m.TelegramMessageID != 0 {
			return m.TelegramMessageID, nil
		}
	}
	return 0, rows.Err()
}
