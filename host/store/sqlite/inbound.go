package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/host/store/internal/route"
	"github.com/parley-dev/parley/sdk"
)

// CommitInbound stores an update in one transaction; see store.Store.
func (s *Store) CommitInbound(ctx context.Context, in store.Inbound) (store.CommitResult, error) {
	var res store.CommitResult
	err := s.tx(ctx, func(tx *wtx) error {
		var err error
		res, err = commitInbound(ctx, tx, in)
		return err
	})
	if err != nil {
		return store.CommitResult{}, err
	}
	return res, nil
}

// CommitInbounds stores a batch of updates in one transaction; see
// store.InboundBatcher. One transaction per getUpdates batch instead of one
// per update is what lets intake keep up with the single writer.
func (s *Store) CommitInbounds(ctx context.Context, ins []store.Inbound) ([]store.CommitResult, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	out := make([]store.CommitResult, len(ins))
	err := s.tx(ctx, func(tx *wtx) error {
		for i, in := range ins {
			res, err := commitInbound(ctx, tx, in)
			if err != nil {
				return err
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var _ store.InboundBatcher = (*Store)(nil)

// commitInbound stores one update inside tx; the error names the update.
func commitInbound(ctx context.Context, tx *wtx, in store.Inbound) (store.CommitResult, error) {
	res, err := commitInboundTx(ctx, tx, in)
	if err != nil {
		return store.CommitResult{}, fmt.Errorf("committing update %d: %w", in.UpdateID, err)
	}
	return res, nil
}

func commitInboundTx(ctx context.Context, tx *wtx, in store.Inbound) (store.CommitResult, error) {
	var res store.CommitResult
	in.Time = nowOr(in.Time)
	in.Bot = store.BotOr(in.Bot)
	now := in.Time
	ins, err := tx.ExecContext(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES (?, ?, ?)
		ON CONFLICT (bot, update_id) DO NOTHING`, in.Bot, in.UpdateID, dbTime(time.Now()))
	if err != nil {
		return res, err
	}
	if n, _ := ins.RowsAffected(); n == 0 {
		res.Duplicate = true
		if in.ChatID == 0 {
			return res, nil
		}
		c, err := conversationWhere(ctx, tx, latestOfChat, in.ChatID, in.Bot, in.BusinessConnectionID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		res.Conversation = c
		return res, nil
	}
	if in.ChatID == 0 {
		return res, nil // an ignored update: only its id is recorded, so the offset moves on
	}
	if err := intakeConversation(ctx, tx, in, &res); err != nil {
		return res, err
	}
	ask, err := applyRoute(ctx, tx, in, &res)
	if err != nil {
		return res, err
	}
	channels := route.Channels(res.Conversation, in)
	for _, m := range in.Messages {
		if m.ID == "" {
			return res, errors.New("a message has no id")
		}
		if err := insertMessage(ctx, tx, res.Conversation.ID, m, channels, now); err != nil {
			return res, err
		}
	}
	if in.Answer != nil {
		a := *in.Answer
		a.ConversationID = res.Conversation.ID
		if _, _, err := insertReply(ctx, tx, "", res.Conversation.ID, a, now); err != nil {
			return res, err
		}
	}
	if ask {
		if err := askMenu(ctx, tx, res.Conversation, in.Routing.Menu.Question, now); err != nil {
			return res, err
		}
	}
	if in.Away != nil {
		if err := queueAway(ctx, tx, res.Conversation.ID, *in.Away, now); err != nil {
			return res, err
		}
	}
	return res, nil
}

// awayDue records an away message as sent now when the throttle lets it
// go (see store.Away), and reports whether it does.
const awayDue = `UPDATE conversations SET away_sent_at = ?1
	WHERE id = ?2 AND away_sent_at <= ?3 AND agent_replied_at <= ?4`

// queueAway queues the away message of a, stamped now like the update's
// other rows; only updates outside business hours run it, so intake
// inside hours costs nothing more.
func queueAway(ctx context.Context, tx *wtx, conversationID string, a store.Away, now time.Time) error {
	res, err := tx.ExecContext(ctx, awayDue, dbTime(a.At), conversationID, dbTime(a.At.Add(-a.Every)), dbTime(a.At.Add(-a.AgentQuiet)))
	if err != nil {
		return fmt.Errorf("away message: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	r := a.Reply
	r.ConversationID = conversationID
	_, _, err = insertReply(ctx, tx, "", conversationID, r, now)
	return err
}

// insertMessage stores m and queues it to every channel, unless a message
// with its id exists (a redelivered update the dedupe table no longer
// knows, or a caller's retry): then nothing is queued again.
func insertMessage(ctx context.Context, tx *wtx, conversationID string, m sdk.Message, channels []string, now time.Time) error {
	body, err := payload.EncodeMessage(m)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, payload, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, m.ID, conversationID, string(body), dbTime(now))
	if err != nil {
		return fmt.Errorf("storing message %s: %w", m.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, ch := range channels {
		if ch == "" {
			return fmt.Errorf("queueing message %s: empty channel name", m.ID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (conversation_id, channel, message_id, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, conversationID, ch, m.ID, dbTime(now), dbTime(now), dbTime(now))
		if err != nil {
			return fmt.Errorf("queueing message %s to %s: %w", m.ID, ch, err)
		}
	}
	return nil
}

// TelegramOffset is one past the bot's highest committed update id, 0
// when none.
func (s *Store) TelegramOffset(ctx context.Context, bot string) (int64, error) {
	var off int64
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(update_id) + 1, 0) FROM processed_updates WHERE bot = ?`,
		store.BotOr(bot)).Scan(&off)
	if err != nil {
		return 0, fmt.Errorf("reading the telegram offset of bot %s: %w", store.BotOr(bot), err)
	}
	return off, nil
}

// EnqueueNotice stores a host notice as a message of the conversation and
// queues it to the channels, behind what the lanes already hold.
func (s *Store) EnqueueNotice(ctx context.Context, conversationID string, n sdk.Notice, channels []string) error {
	now := time.Now()
	m := sdk.Message{ID: ident.Notice(), Time: now, Kind: sdk.KindNotice, Text: n.Text, Notice: &n}
	err := s.tx(ctx, func(tx *wtx) error {
		if _, err := conversationWhere(ctx, tx, `c.id = ?`, conversationID); err != nil {
			return err
		}
		return insertMessage(ctx, tx, conversationID, m, channels, now)
	})
	if err != nil {
		return fmt.Errorf("queueing notice %s to conversation %s: %w", n.Code, conversationID, err)
	}
	return nil
}
