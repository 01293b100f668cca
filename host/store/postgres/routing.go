package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/route"
	"github.com/parley-dev/parley/sdk"
)

var _ store.Router = (*Store)(nil)

// askMenus records the menus a batch asks and queues their questions,
// behind the batch's other host answers (the welcome).
func askMenus(ctx context.Context, tx pgx.Tx, menus []menuAsk) error {
	for _, m := range menus {
		if _, err := tx.Exec(ctx, `INSERT INTO route_menus (id, conversation_id, chat_id, asked_at) VALUES ($1, $2, $3, $4)`,
			m.id, m.conv, m.chat, m.at); err != nil {
			return fmt.Errorf("asking the menu of conversation %s: %w", m.conv, err)
		}
		q := sdk.Reply{ConversationID: m.conv, ExternalID: store.MenuReplyID(m.id), Text: m.question, Format: sdk.FormatPlain}
		if _, _, err := insertReply(ctx, tx, "", m.conv, q, m.at); err != nil {
			return err
		}
	}
	return nil
}

// routeHeld sets c's route to channels and queues every message of c that
// has no delivery yet (those held while it waited) to them, in the order
// they came. The caller holds c's lock.
func routeHeld(ctx context.Context, tx pgx.Tx, c store.Conversation, channels []string) error {
	if _, err := tx.Exec(ctx, `UPDATE conversations SET route = $2 WHERE id = $1`, c.ID, route.Encode(store.RouteSet, channels)); err != nil {
		return fmt.Errorf("storing the route of conversation %s: %w", c.ID, err)
	}
	// Messages of one conversation come in Telegram's order (its message
	// ids grow); notices have none and keep their time.
	_, err := tx.Exec(ctx, `INSERT INTO deliveries (conversation_id, channel, message_id, edit_of, next_attempt_at, created_at, updated_at)
		SELECT m.conversation_id, ch.ch, m.id, NULLIF(m.payload->>'edit_of', ''), LEAST(m.created_at, now()), m.created_at, m.created_at
		FROM messages m, unnest($2::text[]) WITH ORDINALITY AS ch (ch, n)
		WHERE m.conversation_id = $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)
		ORDER BY m.created_at, COALESCE((m.payload->>'telegram_message_id')::bigint, 0), m.id, ch.n`, c.ID, channels)
	if err != nil {
		return fmt.Errorf("queueing the held messages of conversation %s: %w", c.ID, err)
	}
	return nil
}

// ChooseRoute stores a menu tap once; see store.Router.
func (s *Store) ChooseRoute(ctx context.Context, tap store.MenuTap) (store.MenuResult, error) {
	now := s.nowOr(tap.Time)
	var res store.MenuResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = store.MenuResult{}
		tag, err := tx.Exec(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES ($3, $1, $2)
			ON CONFLICT (bot, update_id) DO NOTHING`, tap.UpdateID, s.clock(), store.BotOr(tap.Bot))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Outcome = store.MenuDuplicate
			return nil
		}
		var convID string
		var chat int64
		err = tx.QueryRow(ctx, `SELECT conversation_id, chat_id FROM route_menus WHERE id = $1`, cleanText(tap.MenuID)).Scan(&convID, &chat)
		switch {
		case errors.Is(err, pgx.ErrNoRows), err == nil && (chat != tap.ChatID || len(tap.Channels) == 0):
			res.Outcome = store.MenuExpired
			return nil
		case err != nil:
			return err
		}
		c, err := conversationWhere(ctx, tx, `c.id = $1`, convID, `FOR NO KEY UPDATE`)
		if err != nil {
			return err
		}
		// Read under the conversation's lock: a timeout racing the tap
		// answered it first, or waits for this one.
		var answered *time.Time
		if err := tx.QueryRow(ctx, `SELECT answered_at FROM route_menus WHERE id = $1`, tap.MenuID).Scan(&answered); err != nil {
			return err
		}
		if answered != nil || c.RouteState != store.RouteMenu {
			res.Outcome = store.MenuExpired
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE route_menus SET answered_at = $2 WHERE id = $1`, tap.MenuID, now); err != nil {
			return err
		}
		res = store.MenuResult{Outcome: store.MenuRouted, ConversationID: convID}
		return routeHeld(ctx, tx, c, tap.Channels)
	})
	if err != nil {
		return store.MenuResult{}, fmt.Errorf("recording a menu tap (update %d): %w", tap.UpdateID, err)
	}
	return res, nil
}

// ExpireMenus routes conversations whose menu timed out; see store.Router.
// Replicas running it at once split the menus (SKIP LOCKED).
func (s *Store) ExpireMenus(ctx context.Context, before time.Time, limit int, routeOf func(store.Conversation) []string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT id, conversation_id FROM route_menus WHERE answered_at IS NULL AND asked_at < $1
			ORDER BY asked_at LIMIT $2 FOR UPDATE SKIP LOCKED`, before, limit)
		if err != nil {
			return err
		}
		var ids, convs []string
		var id, conv string
		if _, err := pgx.ForEachRow(rows, []any{&id, &conv}, func() error {
			ids, convs = append(ids, id), append(convs, conv)
			return nil
		}); err != nil {
			return err
		}
		now := s.clock()
		for i := range ids {
			c, err := conversationWhere(ctx, tx, `c.id = $1`, convs[i], `FOR NO KEY UPDATE`)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE route_menus SET answered_at = $2 WHERE id = $1`, ids[i], now); err != nil {
				return err
			}
			if c.RouteState != store.RouteMenu {
				continue
			}
			if err := routeHeld(ctx, tx, c, routeOf(c)); err != nil {
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
	var res store.TransferResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = store.TransferResult{}
		now := s.clock()
		if t.ExternalID != "" {
			// Two replicas applying the same action: the key makes the
			// second wait, then see it.
			tag, err := tx.Exec(ctx, `INSERT INTO actions (channel, external_id, conversation_id, kind, state, changed, created_at)
				VALUES ($1, $2, '', $3, '', true, $4) ON CONFLICT (channel, external_id) DO NOTHING`,
				t.Channel, cleanText(t.ExternalID), string(sdk.ActionTransfer), now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				var state string
				res.Duplicate = true
				err := tx.QueryRow(ctx, `SELECT conversation_id, state FROM actions WHERE channel = $1 AND external_id = $2`,
					t.Channel, cleanText(t.ExternalID)).Scan(&res.ConversationID, &state)
				res.State = sdk.ConversationState(state)
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
		c, err := conversationWhere(ctx, tx, `c.id = $1`, cleanText(id), `FOR NO KEY UPDATE`)
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
		if err := routeHeld(ctx, tx, c, t.Channels); err != nil {
			return err
		}
		res.From, res.To = slices.Clone(from), slices.Clone(t.Channels)
		res.ConversationID, res.State = c.ID, c.State
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
			_, err = tx.Exec(ctx, `UPDATE actions SET conversation_id = $3, state = $4 WHERE channel = $1 AND external_id = $2`,
				t.Channel, cleanText(t.ExternalID), c.ID, string(c.State))
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
func recentHistory(ctx context.Context, tx pgx.Tx, convID string, n int) ([]route.Entry, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT kind, payload, created_at FROM (
			SELECT 'm' AS kind, payload::text AS payload, created_at, 0::bigint AS seq FROM messages WHERE conversation_id = $1
			UNION ALL SELECT 'r', payload::text, created_at, id FROM replies WHERE conversation_id = $1 AND channel <> '') h
		ORDER BY created_at DESC, seq DESC LIMIT $2`, convID, n)
	if err != nil {
		return nil, err
	}
	var out []route.Entry
	var kind, body string
	var at time.Time
	if _, err := pgx.ForEachRow(rows, []any{&kind, &body, &at}, func() error {
		e, ok, err := route.EntryOf(kind == "r", []byte(body), at)
		if ok {
			out = append(out, e)
		}
		return err
	}); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}
