package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/sdk"
)

// ApplyAction applies a desk's action once per (channel, external id);
// see store.Lifecycle.
func (s *Store) ApplyAction(ctx context.Context, channel string, a sdk.Action) (sdk.ActionResult, error) {
	if a.ExternalID == "" {
		return sdk.ActionResult{}, fmt.Errorf("an action has no external id: actions are deduplicated on it: %w", store.ErrInvalidAction)
	}
	if _, err := sdk.NextState(sdk.StateOpen, a.Kind); err != nil {
		return sdk.ActionResult{}, fmt.Errorf("%w: %w", store.ErrInvalidAction, err)
	}
	now := time.Now()
	var res sdk.ActionResult
	err := s.tx(ctx, func(tx *wtx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT conversation_id, state, changed FROM actions WHERE channel = ? AND external_id = ?`,
			channel, a.ExternalID).Scan(&res.ConversationID, &state, &res.Changed)
		if err == nil {
			res.Duplicate, res.State = true, sdk.ConversationState(state)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err := resolveReply(ctx, tx, channel, sdk.Reply{ThreadRef: a.ThreadRef, ConversationID: a.ConversationID, ExternalID: a.ExternalID})
		if err != nil {
			return err
		}
		c, err := conversationWhere(ctx, tx, `c.id = ?`, id)
		if err != nil {
			return err
		}
		var newer int64
		if a.Kind == sdk.ActionReopen && c.State == sdk.StateClosed {
			err := tx.QueryRowContext(ctx, `SELECT number FROM conversations WHERE chat_id = ? AND bot = ? AND business_connection_id = ?
				AND state <> 'closed'`, c.ChatID, c.Bot, c.BusinessConnectionID).Scan(&newer)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
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
		_, err = tx.ExecContext(ctx, `INSERT INTO actions (channel, external_id, conversation_id, kind, state, changed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, channel, a.ExternalID, id, string(a.Kind), string(res.State), res.Changed, dbTime(now))
		return err
	})
	if err != nil {
		return sdk.ActionResult{}, fmt.Errorf("applying %s action %s of %s: %w", a.Kind, a.ExternalID, channel, err)
	}
	return res, nil
}

// applyChange writes ch (an action of channel on c) and queues its notice:
// to every channel of the conversation when it changed something, to
// channel alone otherwise.
func applyChange(ctx context.Context, tx *wtx, c store.Conversation, ch lifecycle.Change, channel string, now time.Time) error {
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
func writeLifecycle(ctx context.Context, tx *wtx, c store.Conversation) error {
	var closed int64
	if !c.ClosedAt.IsZero() {
		closed = dbTime(c.ClosedAt)
	}
	_, err := tx.ExecContext(ctx, `UPDATE conversations SET state = ?, claimed_by = ?, closed_by = ?, close_reason = ?, closed_at = ?
		WHERE id = ?`, string(c.State), c.ClaimedBy, c.ClosedBy, c.CloseReason, closed, c.ID)
	if err != nil {
		return fmt.Errorf("storing the state of conversation %s: %w", c.ID, err)
	}
	return nil
}

// conversationChannels lists the channels a conversation is in: those with
// a thread for it or a delivery of it.
func conversationChannels(ctx context.Context, tx *wtx, id string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT channel FROM lanes WHERE conversation_id = ?
		UNION SELECT channel FROM deliveries WHERE conversation_id = ? ORDER BY 1`, id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// queueNotice stores a host notice in a conversation and queues it to the
// channels.
func queueNotice(ctx context.Context, tx *wtx, conversationID string, n sdk.Notice, channels []string, now time.Time) error {
	m := sdk.Message{ID: ident.Notice(), Time: now, Kind: sdk.KindNotice, Text: n.Text, Notice: &n}
	return insertMessage(ctx, tx, conversationID, m, channels, now)
}

// union returns a's channels followed by those of b not in a.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, ch := range b {
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// CloseConversation closes a conversation for the host; see
// store.Lifecycle.
func (s *Store) CloseConversation(ctx context.Context, id string, cl store.Closing) (bool, error) {
	now := nowOr(cl.Time)
	closed := false
	err := s.tx(ctx, func(tx *wtx) error {
		c, err := conversationWhere(ctx, tx, `c.id = ?`, id)
		if err != nil {
			return err
		}
		if c.State == sdk.StateClosed || (!cl.IdleBefore.IsZero() && !c.UpdatedAt.Before(cl.IdleBefore)) {
			return nil
		}
		closed = true
		if err := closeConversation(ctx, tx, c, cl.By, cl.Reason, now, nil); err != nil {
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

// closeConversation closes c and tells its channels and extra.
func closeConversation(ctx context.Context, tx *wtx, c store.Conversation, by, reason string, now time.Time, extra []string) error {
	c = lifecycle.Close(c, by, reason, now)
	if err := writeLifecycle(ctx, tx, c); err != nil {
		return err
	}
	channels, err := conversationChannels(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	return queueNotice(ctx, tx, c.ID, lifecycle.ClosedNotice(c), union(channels, extra), now)
}

// IdleConversations lists conversations not closed and idle since before
// the given time, oldest first.
func (s *Store) IdleConversations(ctx context.Context, before time.Time, limit int) ([]store.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.listConversations(ctx, `c.state <> 'closed' AND c.updated_at < ? ORDER BY c.updated_at LIMIT ?`, dbTime(before), limit)
}

// ListConversations lists conversations matching f, most recently active
// first.
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return s.listConversations(ctx, `(?1 = '' OR c.state = ?1) AND (?2 = 0 OR c.telegram_user_id = ?2 OR c.chat_id = ?2)
		AND (?4 = 0 OR c.number = ?4) ORDER BY c.updated_at DESC, c.number DESC LIMIT ?3`, string(f.State), f.TelegramUserID, f.Limit, f.Number)
}

func (s *Store) listConversations(ctx context.Context, where string, args ...any) ([]store.Conversation, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+conversationCols+` FROM conversations c WHERE `+where, args...)
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
	return out, rows.Err()
}

// CountByState counts conversations in each state.
func (s *Store) CountByState(ctx context.Context) (map[sdk.ConversationState]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM conversations GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("counting conversations: %w", err)
	}
	defer rows.Close()
	out := map[sdk.ConversationState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[sdk.ConversationState(st)] = n
	}
	return out, rows.Err()
}

// SetRatingPolicy sets when closes ask for a rating; see store.Lifecycle.
func (s *Store) SetRatingPolicy(p store.RatingPolicy) { s.rating = p }

// askRating records a rating of c (just closed) and queues its question.
func askRating(ctx context.Context, tx *wtx, c store.Conversation, question string, now time.Time) error {
	id := ident.Rating()
	_, err := tx.ExecContext(ctx, `INSERT INTO ratings (id, conversation_id, chat_id, asked_at) VALUES (?, ?, ?, ?)`,
		id, c.ID, c.ChatID, dbTime(now))
	if err != nil {
		return fmt.Errorf("recording a rating of conversation %s: %w", c.ID, err)
	}
	_, _, err = insertReply(ctx, tx, "", c.ID, sdk.Reply{ConversationID: c.ID, ExternalID: store.RatingReplyID(id), Text: question}, now)
	return err
}

// RecordRating stores a customer's tap once; see store.Lifecycle.
func (s *Store) RecordRating(ctx context.Context, tap store.RatingTap) (store.RatingResult, error) {
	now := nowOr(tap.Time)
	var res store.RatingResult
	err := s.tx(ctx, func(tx *wtx) error {
		res = store.RatingResult{}
		ins, err := tx.ExecContext(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES (?, ?, ?)
			ON CONFLICT (bot, update_id) DO NOTHING`, store.BotOr(tap.Bot), tap.UpdateID, dbTime(time.Now()))
		if err != nil {
			return err
		}
		if n, _ := ins.RowsAffected(); n == 0 {
			res.Outcome = store.RatingDuplicate
			return nil
		}
		var convID, bot string
		var chat, asked int64
		var score int
		err = tx.QueryRowContext(ctx, `SELECT r.conversation_id, r.chat_id, c.bot, r.asked_at, r.score FROM ratings r
			JOIN conversations c ON c.id = r.conversation_id WHERE r.id = ?`, tap.RatingID).
			Scan(&convID, &chat, &bot, &asked, &score)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && (chat != tap.ChatID || bot != store.BotOr(tap.Bot)),
			err == nil && now.Sub(goTime(asked)) > store.RatingValidity,
			tap.Score < 1 || tap.Score > store.RatingScale:
			res.Outcome = store.RatingExpired
			return nil
		case err != nil:
			return err
		}
		res.ConversationID = convID
		if score != 0 {
			res.Outcome = store.AlreadyRated
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET score = ?, rated_at = ? WHERE id = ?`, tap.Score, dbTime(now), tap.RatingID); err != nil {
			return err
		}
		c, err := conversationWhere(ctx, tx, `c.id = ?`, convID)
		if err != nil {
			return err
		}
		channels, err := conversationChannels(ctx, tx, convID)
		if err != nil {
			return err
		}
		if err := queueNotice(ctx, tx, convID, lifecycle.RatingNotice(c, tap.Score), channels, now); err != nil {
			return err
		}
		thanks := sdk.Reply{ConversationID: convID, ExternalID: store.RatingThanksID(tap.RatingID), EditOf: store.RatingReplyID(tap.RatingID), Text: tap.Thanks}
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
