package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// QueueTelegramAction stores a react or delete action once and queues it
// in the conversation's reply lane; see store.Reactions.
func (s *Store) QueueTelegramAction(ctx context.Context, channel string, a sdk.Action) (sdk.ActionResult, error) {
	if err := lifecycle.CheckTelegramAction(a); err != nil {
		return sdk.ActionResult{}, err
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
		op := &payload.Op{Kind: string(a.Kind), Channel: channel, ActionExternalID: a.ExternalID, Emoji: a.Emoji}
		switch a.Kind {
		case sdk.ActionReact:
			if op.MessageID, err = customerMessage(ctx, tx, c.ID, channel, a); err != nil {
				return err
			}
		case sdk.ActionDelete:
			var n int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM replies WHERE channel = ? AND external_id = ? AND conversation_id = ?`,
				channel, a.ReplyExternalID, c.ID).Scan(&n)
			if err != nil {
				return err
			}
			if n == 0 {
				return lifecycle.UnknownReply(a)
			}
			op.ReplyExternalID = a.ReplyExternalID
		}
		if err := insertOp(ctx, tx, c.ID, store.ActionReplyID(channel, a.ExternalID), op, now); err != nil {
			return err
		}
		res = sdk.ActionResult{ConversationID: c.ID, State: c.State, Changed: true}
		_, err = tx.ExecContext(ctx, `INSERT INTO actions (channel, external_id, conversation_id, kind, state, changed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, channel, a.ExternalID, c.ID, string(a.Kind), string(res.State), true, dbTime(now))
		return err
	})
	if err != nil {
		return sdk.ActionResult{}, fmt.Errorf("applying %s action %s of %s: %w", a.Kind, a.ExternalID, channel, err)
	}
	return res, nil
}

// customerMessage finds the Telegram id of the customer's message a react
// action names: by the host's message id, or by the desk id channel's
// Deliver returned for it (through the conversation's messages, which are
// indexed, and the delivery of each to channel).
func customerMessage(ctx context.Context, tx *wtx, conversationID, channel string, a sdk.Action) (int64, error) {
	var body string
	var err error
	switch {
	case a.MessageID != "":
		err = tx.QueryRowContext(ctx, `SELECT payload FROM messages WHERE id = ? AND conversation_id = ?`, a.MessageID, conversationID).Scan(&body)
	case a.DeskMessageID != "":
		err = tx.QueryRowContext(ctx, `SELECT m.payload FROM messages m JOIN deliveries d ON d.message_id = m.id AND d.channel = ?
			WHERE m.conversation_id = ? AND d.desk_message_id = ? LIMIT 1`, channel, conversationID, a.DeskMessageID).Scan(&body)
	default:
		return 0, lifecycle.UnknownMessage(a)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, lifecycle.UnknownMessage(a)
	}
	if err != nil {
		return 0, err
	}
	m, err := payload.DecodeMessage([]byte(body))
	if err != nil {
		return 0, err
	}
	if m.Kind == sdk.KindNotice || m.TelegramMessageID == 0 {
		return 0, lifecycle.UnknownMessage(a)
	}
	return m.TelegramMessageID, nil
}

// insertOp queues a Telegram operation as a host row of the conversation's
// reply lane, once per external id.
func insertOp(ctx context.Context, tx *wtx, conversationID, externalID string, op *payload.Op, now time.Time) error {
	body, err := payload.EncodeReplyOp(sdk.Reply{ConversationID: conversationID, ExternalID: externalID}, op)
	if err != nil {
		return err
	}
	_, _, err = insertReplyBody(ctx, tx, "", conversationID, externalID, body, now)
	return err
}

// queueSeen queues the seen reaction on the conversation's latest
// customer message (the highest Telegram id among its recent rows: rows
// of one update share a time), once per conversation (its row's external id is
// unique), if SetSeenReaction set one.
func (s *Store) queueSeen(ctx context.Context, tx *wtx, conversationID string, now time.Time) error {
	if s.seen == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT payload FROM messages WHERE conversation_id = ? ORDER BY created_at DESC LIMIT 20`, conversationID)
	if err != nil {
		return err
	}
	var target int64
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			rows.Close()
			return err
		}
		if m, err := payload.DecodeMessage([]byte(body)); err == nil && m.Kind != sdk.KindNotice {
			target = max(target, m.TelegramMessageID)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if target == 0 {
		return nil
	}
	return insertOp(ctx, tx, conversationID, store.SeenReplyID(conversationID),
		&payload.Op{Kind: string(store.OpReact), Emoji: s.seen, MessageID: target}, now)
}

// ActionConversation finds the conversation an action names; see
// store.Reactions.
func (s *Store) ActionConversation(ctx context.Context, channel string, a sdk.Action) (store.Conversation, error) {
	id, err := resolveReply(ctx, s.read, channel, sdk.Reply{ThreadRef: a.ThreadRef, ConversationID: a.ConversationID, ExternalID: a.ExternalID})
	if err != nil {
		return store.Conversation{}, err
	}
	return s.Conversation(ctx, id)
}

// CommitReaction stores a customer's reaction update once; see
// store.Reactions.
func (s *Store) CommitReaction(ctx context.Context, r store.ReactionUpdate) (store.ReactionResult, error) {
	now := time.Now()
	var res store.ReactionResult
	err := s.tx(ctx, func(tx *wtx) error {
		res = store.ReactionResult{}
		ins, err := tx.ExecContext(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES (?, ?, ?)
			ON CONFLICT (bot, update_id) DO NOTHING`, store.BotOr(r.Bot), r.UpdateID, dbTime(now))
		if err != nil {
			return err
		}
		if n, _ := ins.RowsAffected(); n == 0 {
			res.Duplicate = true
			return nil
		}
		var channel, external, convID string
		err = tx.QueryRowContext(ctx, `SELECT r.channel, r.external_id, r.conversation_id
			FROM conversations c JOIN reply_messages rm ON rm.conversation_id = c.id AND rm.telegram_message_id = ?
			JOIN replies r ON r.id = rm.reply_id
			WHERE c.chat_id = ? AND c.bot = ? AND c.business_connection_id = '' ORDER BY c.number DESC LIMIT 1`,
			r.MessageID, r.ChatID, store.BotOr(r.Bot)).Scan(&channel, &external, &convID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		res.Known, res.ConversationID = true, convID
		channels, err := conversationChannels(ctx, tx, convID)
		if err != nil {
			return err
		}
		for _, n := range lifecycle.ReactionNotices(channel, external, r.Added, r.Removed) {
			if err := queueNotice(ctx, tx, convID, n, channels, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.ReactionResult{}, fmt.Errorf("committing a reaction (update %d): %w", r.UpdateID, err)
	}
	return res, nil
}

// SetSeenReaction sets the seen reaction; see store.Reactions.
func (s *Store) SetSeenReaction(emoji string) { s.seen = emoji }

// SetContactPhoto records the customer's profile photo of a conversation.
func (s *Store) SetContactPhoto(ctx context.Context, conversationID, ref string) error {
	err := s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET photo_ref = ? WHERE id = ?`, ref, conversationID)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording the photo of conversation %s: %w", conversationID, err)
	}
	return nil
}

// recordReplyMessages maps the Telegram messages an agent's reply became
// back to it (host rows are not agents' replies and are left out).
func recordReplyMessages(ctx context.Context, tx *wtx, id int64, telegramMessageIDs []int64) error {
	for _, m := range telegramMessageIDs {
		if m == 0 {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reply_messages (conversation_id, telegram_message_id, reply_id)
			SELECT conversation_id, ?, id FROM replies WHERE id = ? AND channel <> ''
			ON CONFLICT (conversation_id, telegram_message_id) DO NOTHING`, m, id)
		if err != nil {
			return err
		}
	}
	return nil
}

// claimedOp fills in a claimed host row's Telegram operation: for a
// delete, the messages the reply became (none when it was never sent).
func claimedOp(ctx context.Context, tx *wtx, op *store.TelegramOp) (*store.TelegramOp, error) {
	out := op
	if out.Kind != store.OpDelete {
		return out, nil
	}
	var sent string
	err := tx.QueryRowContext(ctx, `SELECT telegram_message_ids FROM replies WHERE channel = ? AND external_id = ? AND state = 'done'`,
		op.Channel, op.ReplyExternalID).Scan(&sent)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out.TelegramMessageIDs, err = payload.DecodeIDs([]byte(sent))
	return out, err
}
