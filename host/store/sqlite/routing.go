package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/route"
	"github.com/parley-dev/parley/sdk"
)

var _ store.Router = (*Store)(nil)

// applyRoute decides the route of the conversation an update went to
// (route.Apply) and writes it; it reports whether the menu must be asked
// (askMenu, once the update's answer is queued). Nothing is written when
// routing is not configured, or the route stays.
func applyRoute(ctx context.Context, tx *wtx, in store.Inbound, res *store.CommitResult) (bool, error) {
	c := &res.Conversation
	d := route.Apply(c, in, res.Created)
	if d == route.Keep {
		return false, nil
	}
	return d == route.AskMenu, writeRoute(ctx, tx, *c)
}

// askMenu records a menu for c and queues its question.
func askMenu(ctx context.Context, tx *wtx, c store.Conversation, question string, now time.Time) error {
	{
		id := ident.Rating()
		if _, err := tx.ExecContext(ctx, `INSERT INTO route_menus (id, conversation_id, chat_id, asked_at) VALUES (?, ?, ?, ?)`,
			id, c.ID, c.ChatID, dbTime(now)); err != nil {
			return fmt.Errorf("asking the menu of conversation %s: %w", c.ID, err)
		}
		q := sdk.Reply{ConversationID: c.ID, ExternalID: store.MenuReplyID(id), Text: question, Format: sdk.FormatPlain}
		if _, _, err := insertReply(ctx, tx, "", c.ID, q, now); err != nil {
			return err
		}
	}
	return nil
}

// writeRoute stores c's route column.
func writeRoute(ctx context.Context, tx *wtx, c store.Conversation) error {
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET route = ? WHERE id = ?`, route.Encode(c.RouteState, c.Route), c.ID); err != nil {
		return fmt.Errorf("storing the route of conversation %s: %w", c.ID, err)
	}
	return nil
}

// routeHeld sets c's route to channels and queues every message of c that
// has no delivery yet (those held while it waited) to them, in the order
// they came.
func routeHeld(ctx context.Context, tx *wtx, c store.Conversation, channels []string, now time.Time) error {
	c.RouteState, c.Route = store.RouteSet, channels
	if err := writeRoute(ctx, tx, c); err != nil {
		return err
	}
	list, err := json.Marshal(channels)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (conversation_id, channel, message_id, next_attempt_at, created_at, updated_at)
		SELECT m.conversation_id, ch.value, m.id, ?1, ?1, ?1 FROM messages m, json_each(?2) ch
		WHERE m.conversation_id = ?3 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)
		ORDER BY m.rowid, ch.key`, dbTime(now), string(list), c.ID)
	if err != nil {
		return fmt.Errorf("queueing the held messages of conversation %s: %w", c.ID, err)
	}
	return nil
}

// ChooseRoute stores a menu tap once; see store.Router.
func (s *Store) ChooseRoute(ctx context.Context, tap store.MenuTap) (store.MenuResult, error) {
	now := nowOr(tap.Time)
	var res store.MenuResult
	err := s.tx(ctx, func(tx *wtx) error {
		res = store.MenuResult{}
		ins, err := tx.ExecContext(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES (?, ?, ?)
			ON CONFLICT (bot, update_id) DO NOTHING`, store.BotOr(tap.Bot), tap.UpdateID, dbTime(time.Now()))
		if err != nil {
			return err
		}
		if n, _ := ins.RowsAffected(); n == 0 {
			res.Outcome = store.MenuDuplicate
			return nil
		}
		var convID string
		var chat, answered int64
		err = tx.QueryRowContext(ctx, `SELECT conversation_id, chat_id, answered_at FROM route_menus WHERE id = ?`, tap.MenuID).
			Scan(&convID, &chat, &answered)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && (chat != tap.ChatID || answered != 0 || len(tap.Channels) == 0):
			res.Outcome = store.MenuExpired
			return nil
		case err != nil:
			return err
		}
		c, err := conversationWhere(ctx, tx, `c.id = ?`, convID)
		if err != nil {
			return err
		}
		if c.RouteState != store.RouteMenu {
			res.Outcome = store.MenuExpired
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE route_menus SET answered_at = ? WHERE id = ?`, dbTime(now), tap.MenuID); err != nil {
			return err
		}
		res = store.MenuResult{Outcome: store.MenuRouted, ConversationID: convID}
		return routeHeld(ctx, tx, c, tap.Channels, now)
	})
	if err != nil {
		return store.MenuResult{}, fmt.Errorf("recording a menu tap (update %d): %w", tap.UpdateID, err)
	}
	return res, nil
}

// ExpireMenus routes conversations whose menu timed out; see store.Router.
func (s *Store) ExpireMenus(ctx context.Context, before time.Time, limit int, routeOf func(store.Conversation) []string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *wtx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT id, conversation_id FROM route_menus WHERE answered_at = 0 AND asked_at < ?
			ORDER BY asked_at LIMIT ?`, dbTime(before), limit)
		if err != nil {
			return err
		}
		type menu struct{ id, conv string }
		var menus []menu
		for rows.Next() {
			var m menu
			if err := rows.Scan(&m.id, &m.conv); err != nil {
				rows.Close()
				return err
			}
			menus = append(menus, m)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		now := time.Now()
		for _, m := range menus {
			if _, err := tx.ExecContext(ctx, `UPDATE route_menus SET answered_at = ? WHERE id = ?`, dbTime(now), m.id); err != nil {
				return err
			}
			c, err := conversationWhere(ctx, tx, `c.id = ?`, m.conv)
			if err != nil {
				return err
			}
			if c.RouteState != store.RouteMenu {
				continue
			}
			if err := routeHeld(ctx, tx, c, routeOf(c), now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("routing conversations whose menu timed out: %w", err)
	}
	return n, nil
}

// Transfer moves a conversation to other channels; see store.Router.
func (s *Store) Transfer(ctx context.Context, t store.Transfer) (store.TransferResult, error) {
	now := time.Now()
	var res store.TransferResult
	err := s.tx(ctx, func(tx *wtx) error {
		res = store.TransferResult{}
		if t.ExternalID != "" {
			var state string
			err := tx.QueryRowContext(ctx, `SELECT conversation_id, state FROM actions WHERE channel = ? AND external_id = ?`,
				t.Channel, t.ExternalID).Scan(&res.ConversationID, &state)
			if err == nil {
				res.Duplicate, res.State = true, sdk.ConversationState(state)
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		id := t.ConversationID
		if t.Channel != "" {
			var err error
			if id, err = resolveReply(ctx, tx, t.Channel, sdk.Reply{ThreadRef: t.ThreadRef, ConversationID: t.ConversationID, ExternalID: t.ExternalID}); err != nil {
				return err
			}
		}
		c, err := conversationWhere(ctx, tx, `c.id = ?`, id)
		if err != nil {
			return err
		}
		from := c.Route
		if c.RouteState != store.RouteSet {
			if from, err = conversationChannels(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		if t.Channel != "" && !slices.Contains(from, t.Channel) {
			return fmt.Errorf("transfer %s: conversation %s is not in channel %s: %w", t.ExternalID, c.ID, t.Channel, store.ErrUnknownConversation)
		}
		// Messages held for a menu go along: the transfer decides the route.
		if err := routeHeld(ctx, tx, c, t.Channels, now); err != nil {
			return err
		}
		res.From, res.To, res.ConversationID, res.State = from, t.Channels, c.ID, c.State
		if added := route.Minus(t.Channels, from); len(added) > 0 {
			history, err := recentHistory(ctx, tx, c.ID, t.History)
			if err != nil {
				return err
			}
			if err := queueNotice(ctx, tx, c.ID, route.ContextNotice(t, history), added, now); err != nil {
				return err
			}
		}
		if left := route.Minus(from, t.Channels); len(left) > 0 {
			if err := queueNotice(ctx, tx, c.ID, route.TransferNotice(t), left, now); err != nil {
				return err
			}
		}
		if t.ExternalID != "" {
			_, err = tx.ExecContext(ctx, `INSERT INTO actions (channel, external_id, conversation_id, kind, state, changed, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, t.Channel, t.ExternalID, c.ID, string(sdk.ActionTransfer), string(c.State), true, dbTime(now))
		}
		return err
	})
	if err != nil {
		return store.TransferResult{}, fmt.Errorf("transferring conversation %s: %w", t.ConversationID, err)
	}
	return res, nil
}

// recentHistory returns the latest n customer messages and agent replies
// of a conversation, oldest first.
func recentHistory(ctx context.Context, tx *wtx, convID string, n int) ([]route.Entry, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT kind, payload, created_at FROM (
			SELECT 'm' AS kind, payload, created_at, rowid AS seq FROM messages WHERE conversation_id = ?1
			UNION ALL SELECT 'r', payload, created_at, id FROM replies WHERE conversation_id = ?1 AND channel <> '')
		ORDER BY created_at DESC, seq DESC LIMIT ?2`, convID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []route.Entry
	for rows.Next() {
		var kind, body string
		var at int64
		if err := rows.Scan(&kind, &body, &at); err != nil {
			return nil, err
		}
		e, ok, err := route.EntryOf(kind == "r", []byte(body), goTime(at))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
