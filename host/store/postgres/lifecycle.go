package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/sdk"
)

// ApplyAction applies a desk's action once per (channel, external id);
// see store.Lifecycle. The action's key is inserted first, so a
// concurrent repeat waits for this transaction and then reads its
// outcome.
func (s *Store) ApplyAction(ctx context.Context, channel string, a sdk.Action) (sdk.ActionResult, error) {
	if a.ExternalID == "" {
		return sdk.ActionResult{}, fmt.Errorf("an action has no external id: actions are deduplicated on it: %w", store.ErrInvalidAction)
	}
	if _, err := sdk.NextState(sdk.StateOpen, a.Kind); err != nil {
		return sdk.ActionResult{}, fmt.Errorf("%w: %w", store.ErrInvalidAction, err)
	}
	a.ExternalID, a.Agent, a.ConversationID = cleanText(a.ExternalID), cleanText(a.Agent), cleanText(a.ConversationID)
	now := s.clock()
	var res sdk.ActionResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = sdk.ActionResult{}
		tag, err := tx.Exec(ctx, `INSERT INTO actions (channel, external_id, conversation_id, kind, state, changed, created_at)
			VALUES ($1, $2, '', $3, '', false, $4) ON CONFLICT (channel, external_id) DO NOTHING`, channel, a.ExternalID, string(a.Kind), now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Duplicate = true
			return tx.QueryRow(ctx, `SELECT conversation_id, state, changed FROM actions WHERE channel = $1 AND external_id = $2`,
				channel, a.ExternalID).Scan(&res.ConversationID, &res.State, &res.Changed)
		}
		id, err := resolveReply(ctx, tx, channel, sdk.Reply{ThreadRef: a.ThreadRef, ConversationID: a.ConversationID, ExternalID: a.ExternalID})
		if err != nil {
			return err
		}
		c, err := conversationWhere(ctx, tx, `c.id = $1`, id, `FOR NO KEY UPDATE`)
		if err != nil {
			return err
		}
		var newer int64
		if a.Kind == sdk.ActionReopen && c.State == sdk.StateClosed {
			err := tx.QueryRow(ctx, `SELECT number FROM conversations WHERE chat_id = $1 AND bot = $2 AND business_connection_id = $3
				AND state <> 'closed'`, c.ChatID, c.Bot, c.BusinessConnectionID).Scan(&newer)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		ch, err := lifecycle.Apply(c, channel, a, now, newer)
		if err != nil {
			return err
		}
		if err := applyChange(ctx, tx, c, ch, channel, now); err != nil {
			return err
		}
		if ch.Changed && ch.Conversation.State == sdk.StateClosed && s.rating.Asks(ch.Conversation.CloseReason) {
			if err := askRating(ctx, tx, ch.Conversation, s.rating.Question, now); err != nil {
				return err
			}
		}
		if ch.Changed && ch.Conversation.State == sdk.StateClaimed {
			if err := s.queueSeen(ctx, tx, c.ID, now); err != nil {
				return err
			}
		}
		res = sdk.ActionResult{ConversationID: id, State: ch.Conversation.State, Changed: ch.Changed}
		_, err = tx.Exec(ctx, `UPDATE actions SET conversation_id = $3, state = $4, changed = $5 WHERE channel = $1 AND external_id = $2`,
			channel, a.ExternalID, id, string(res.State), res.Changed)
		return err
	})
	if err != nil {
		return sdk.ActionResult{}, fmt.Errorf("applying %s action %s of %s: %w", a.Kind, a.ExternalID, channel, err)
	}
	return res, nil
}

// applyChange writes ch (an action of channel on c, locked) and queues
// its notice: to every channel of the conversation when it changed
// something, to channel alone otherwise.
func applyChange(ctx context.Context, tx pgx.Tx, c store.Conversation, ch lifecycle.Change, channel string, now time.Time) error {
	if !ch.Changed {
		return queueNotice(ctx, tx, c.ID, ch.Notice, []string{channel}, now)
	}
	if err := writeLifecycle(ctx, tx, ch.Conversation); err != nil {
		return err
	}
	channels, err := conversationChannels(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	return queueNotice(ctx, tx, c.ID, ch.Notice, channels, now)
}

// writeLifecycle stores c's lifecycle columns.
func writeLifecycle(ctx context.Context, tx pgx.Tx, c store.Conversation) error {
	var closed *time.Time
	if !c.ClosedAt.IsZero() {
		closed = &c.ClosedAt
	}
	_, err := tx.Exec(ctx, `UPDATE conversations SET state = $1, claimed_by = $2, closed_by = $3, close_reason = $4, closed_at = $5
		WHERE id = $6`, string(c.State), cleanText(c.ClaimedBy), cleanText(c.ClosedBy), c.CloseReason, closed, c.ID)
	if err != nil {
		return fmt.Errorf("storing the state of conversation %s: %w", c.ID, err)
	}
	return nil
}

// conversationChannels lists the channels a conversation is in: those with
// a thread for it or a delivery of it.
func conversationChannels(ctx context.Context, tx pgx.Tx, id string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT channel FROM lanes WHERE conversation_id = $1
		UNION SELECT channel FROM deliveries WHERE conversation_id = $1 ORDER BY 1`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// queueNotice stores a host notice in a conversation (whose lock the
// caller holds) and queues it to the channels.
func queueNotice(ctx context.Context, tx pgx.Tx, conversationID string, n sdk.Notice, channels []string, now time.Time) error {
	m := sdk.Message{ID: ident.Notice(), Time: now, Kind: sdk.KindNotice, Text: n.Text, Notice: &n}
	return insertMessage(ctx, tx, conversationID, m, channels, now)
}

// CloseConversation closes a conversation for the host; see
// store.Lifecycle.
func (s *Store) CloseConversation(ctx context.Context, id string, cl store.Closing) (bool, error) {
	now := s.nowOr(cl.Time)
	closed := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		closed = false
		c, err := conversationWhere(ctx, tx, `c.id = $1`, id, `FOR NO KEY UPDATE`)
		if err != nil {
			return err
		}
		if c.State == sdk.StateClosed || (!cl.IdleBefore.IsZero() && !c.UpdatedAt.Before(cl.IdleBefore)) {
			return nil
		}
		closed = true
		c = lifecycle.Close(c, cl.By, cl.Reason, now)
		if err := writeLifecycle(ctx, tx, c); err != nil {
			return err
		}
		channels, err := conversationChannels(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if err := queueNotice(ctx, tx, c.ID, lifecycle.ClosedNotice(c), channels, now); err != nil {
			return err
		}
		if s.rating.Asks(cl.Reason) {
			return askRating(ctx, tx, c, s.rating.Question, now)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("closing conversation %s: %w", id, err)
	}
	return closed, nil
}

// IdleConversations lists conversations not closed and idle since before
// the given time, oldest first.
func (s *Store) IdleConversations(ctx context.Context, before time.Time, limit int) ([]store.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.listConversations(ctx, `c.state <> 'closed' AND c.updated_at < $1 ORDER BY c.updated_at LIMIT $2`, before, limit)
}

// ListConversations lists conversations matching f, most recently active
// first.
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return s.listConversations(ctx, `($1 = '' OR c.state = $1) AND ($2 = 0 OR c.telegram_user_id = $2 OR c.chat_id = $2)
		AND ($4 = 0 OR c.number = $4) ORDER BY c.updated_at DESC, c.number DESC LIMIT $3`, string(f.State), f.TelegramUserID, f.Limit, f.Number)
}

func (s *Store) listConversations(ctx context.Context, where string, args ...any) ([]store.Conversation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+conversationCols+` FROM conversations c WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Conversation, error) { return scanConversation(r) })
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	return out, nil
}

// CountByState counts conversations in each state.
func (s *Store) CountByState(ctx context.Context) (map[sdk.ConversationState]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, COUNT(*) FROM conversations GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("counting conversations: %w", err)
	}
	out := map[sdk.ConversationState]int{}
	var st string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error { out[sdk.ConversationState(st)] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("counting conversations: %w", err)
	}
	return out, nil
}

// SetRatingPolicy sets when closes ask for a rating; see store.Lifecycle.
func (s *Store) SetRatingPolicy(p store.RatingPolicy) { s.rating = p }

// askRating records a rating of c (just closed, locked) and queues its
// question.
func askRating(ctx context.Context, tx pgx.Tx, c store.Conversation, question string, now time.Time) error {
	id := ident.Rating()
	_, err := tx.Exec(ctx, `INSERT INTO ratings (id, conversation_id, chat_id, asked_at) VALUES ($1, $2, $3, $4)`, id, c.ID, c.ChatID, now)
	if err != nil {
		return fmt.Errorf("recording a rating of conversation %s: %w", c.ID, err)
	}
	_, _, err = insertReply(ctx, tx, "", c.ID, sdk.Reply{ConversationID: c.ID, ExternalID: store.RatingReplyID(id), Text: cleanText(question)}, now)
	return err
}

// RecordRating stores a customer's tap once; see store.Lifecycle. The
// update id is inserted first, so a concurrent repeat waits and then sees
// a duplicate; the conversation is locked before the rating, as every
// writer of its lanes does.
func (s *Store) RecordRating(ctx context.Context, tap store.RatingTap) (store.RatingResult, error) {
	now := s.nowOr(tap.Time)
	var res store.RatingResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = store.RatingResult{}
		tag, err := tx.Exec(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES ($1, $2, $3)
			ON CONFLICT (bot, update_id) DO NOTHING`, store.BotOr(cleanText(tap.Bot)), tap.UpdateID, s.clock())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Outcome = store.RatingDuplicate
			return nil
		}
		var convID string
		err = tx.QueryRow(ctx, `SELECT conversation_id FROM ratings WHERE id = $1`, cleanText(tap.RatingID)).Scan(&convID)
		if errors.Is(err, pgx.ErrNoRows) {
			res.Outcome = store.RatingExpired
			return nil
		}
		if err != nil {
			return err
		}
		c, err := conversationWhere(ctx, tx, `c.id = $1`, convID, `FOR NO KEY UPDATE`)
		if err != nil {
			return err
		}
		var chat int64
		var asked time.Time
		var score int
		if err := tx.QueryRow(ctx, `SELECT chat_id, asked_at, score FROM ratings WHERE id = $1 FOR UPDATE`, tap.RatingID).
			Scan(&chat, &asked, &score); err != nil {
			return err
		}
		if chat != tap.ChatID || c.Bot != store.BotOr(tap.Bot) || now.Sub(asked) > store.RatingValidity || tap.Score < 1 || tap.Score > store.RatingScale {
			res.Outcome = store.RatingExpired
			return nil
		}
		res.ConversationID = convID
		if score != 0 {
			res.Outcome = store.AlreadyRated
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE ratings SET score = $1, rated_at = $2 WHERE id = $3`, tap.Score, now, tap.RatingID); err != nil {
			return err
		}
		channels, err := conversationChannels(ctx, tx, convID)
		if err != nil {
			return err
		}
		if err := queueNotice(ctx, tx, convID, lifecycle.RatingNotice(c, tap.Score), channels, now); err != nil {
			return err
		}
		thanks := sdk.Reply{ConversationID: convID, ExternalID: store.RatingThanksID(tap.RatingID), EditOf: store.RatingReplyID(tap.RatingID), Text: cleanText(tap.Thanks)}
		if _, _, err := insertReply(ctx, tx, "", convID, thanks, now); err != nil {
			return err
		}
		res.Outcome = store.Rated
		return nil
	})
	if err != nil {
		return store.RatingResult{}, fmt.Errorf("recording a rating (update %d): %w", tap.UpdateID, err)
	}
	return res, nil
}
