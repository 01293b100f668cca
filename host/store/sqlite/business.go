package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

const businessColumns = `id, user_id, username, first_name, last_name, user_chat_id, rights, is_enabled, date, updated_at`

// SaveBusinessConnection stores c and returns what was stored before.
func (s *Store) SaveBusinessConnection(ctx context.Context, c store.BusinessConnection) (store.BusinessConnection, bool, error) {
	rights, err := json.Marshal(nonNil(c.Rights))
	if err != nil {
		return store.BusinessConnection{}, false, err
	}
	var prev store.BusinessConnection
	found := false
	err = s.tx(ctx, func(tx *wtx) error {
		p, err := scanBusiness(tx.QueryRowContext(ctx, `SELECT `+businessColumns+` FROM business_connections WHERE id = ?`, c.ID))
		switch {
		case err == nil:
			prev, found = p, true
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO business_connections (`+businessColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, username = excluded.username,
				first_name = excluded.first_name, last_name = excluded.last_name, user_chat_id = excluded.user_chat_id,
				rights = excluded.rights, is_enabled = excluded.is_enabled, date = excluded.date, updated_at = excluded.updated_at`,
			c.ID, c.UserID, c.Username, c.FirstName, c.LastName, c.UserChatID, string(rights), c.Enabled,
			dbTime(c.Date), dbTime(nowOr(c.UpdatedAt)))
		return err
	})
	if err != nil {
		return store.BusinessConnection{}, false, fmt.Errorf("saving business connection: %w", err)
	}
	return prev, found, nil
}

// BusinessConnection returns the connection of that id.
func (s *Store) BusinessConnection(ctx context.Context, id string) (store.BusinessConnection, error) {
	c, err := scanBusiness(s.read.QueryRowContext(ctx, `SELECT `+businessColumns+` FROM business_connections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	return c, err
}

// BusinessConnections lists the connections, most recently changed first.
func (s *Store) BusinessConnections(ctx context.Context) ([]store.BusinessConnection, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+businessColumns+` FROM business_connections ORDER BY updated_at DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.BusinessConnection
	for rows.Next() {
		c, err := scanBusiness(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanBusiness(r interface{ Scan(...any) error }) (store.BusinessConnection, error) {
	var c store.BusinessConnection
	var rights string
	var date, updated int64
	if err := r.Scan(&c.ID, &c.UserID, &c.Username, &c.FirstName, &c.LastName, &c.UserChatID, &rights, &c.Enabled, &date, &updated); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(rights), &c.Rights); err != nil {
		return c, fmt.Errorf("business connection %s: rights: %w", c.ID, err)
	}
	c.Date, c.UpdatedAt = goTime(date), goTime(updated)
	return c, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MessageTexts returns the texts of the stored messages among ids.
func (s *Store) MessageTexts(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		var p []byte
		err := s.read.QueryRowContext(ctx, `SELECT payload FROM messages WHERE id = ?`, id).Scan(&p)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := payload.DecodeMessage(p)
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", id, err)
		}
		out[id] = m.Text
	}
	return out, nil
}

// LastCustomerMessage returns the Telegram id of the conversation's latest
// customer message; it looks at the latest few rows only (notices and
// edits between are few).
func (s *Store) LastCustomerMessage(ctx context.Context, conversationID string) (int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT payload FROM messages WHERE conversation_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 20`, conversationID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var p []byte
		if err := rows.Scan(&p); err != nil {
			return 0, err
		}
		if id := customerMessageID(p); id != 0 {
			return id, nil
		}
	}
	return 0, rows.Err()
}

func customerMessageID(p []byte) int64 {
	m, err := payload.DecodeMessage(p)
	if err != nil || m.Kind == sdk.KindNotice || m.EditOf != "" {
		return 0
	}
	return m.TelegramMessageID
}
