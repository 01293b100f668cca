package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// QueueTelegramAction stores a react or delete action once and queues it
// in the conversation's reply lane; see store.Reactions. As ApplyAction,
// the action's key is inserted first, so a concurrent repeat waits.
func (s *Store) QueueTelegramAction(ctx context.Context, channel string, a sdk.Action) (sdk.ActionResult, error) {
	if err := lifecycle.CheckTelegramAction(a); err != nil {
		return sdk.ActionResult{}, err
	}
	a.ExternalID, a.ConversationID, a.Emoji = cleanText(a.ExternalID), cleanText(a.ConversationID), cleanText(a.Emoji)
	a.MessageID, a.DeskMessageID, a.ReplyExternalID = cleanText(a.MessageID), cleanText(a.DeskMessageID), cleanText(a.ReplyExternalID)
	now := s.clock()
	var res sdk.ActionResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = sdk.ActionResult{}
		tag, err := tx.Exec(ctx, `INSERT INTO actions (channel, external_id, conversation_id, kind, state, changed, created_at)
			VALUES ($1, $2, '', $3, '', true, $4) ON CONFLICT (channel, external_id) DO NOTHING`, channel, a.ExternalID, string(a.Kind), now)
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
		op := &payload.Op{Kind: string(a.Kind), Channel: channel, ActionExternalID: a.ExternalID, Emoji: a.Emoji}
		switch a.Kind {
		case sdk.ActionReact:
			if op.MessageID, err = customerMessage(ctx, tx, c.ID, channel, a); err != nil {
				return err
			}
		case sdk.ActionDelete:
			var n int
			err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM replies WHERE channel = $1 AND external_id = $2 AND conversation_id = $3`,
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
		_, err = tx.Exec(ctx, `UPDATE actions SET conversation_id = $3, state = $4 WHERE channel = $1 AND external_id = $2`,
			channel, a.ExternalID, c.ID, string(res.State))
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
func customerMessage(ctx context.Context, tx pgx.Tx, conversationID, channel string, a sdk.Action) (int64, error) {
	var body string
	var err error
	switch {
	case a.MessageID != "":
		err = tx.QueryRow(ctx, `SELECT payload::text FROM messages WHERE id = $1 AND conversation_id = $2`, a.MessageID, conversationID).Scan(&body)
	case a.DeskMessageID != "":
		err = tx.QueryRow(ctx, `SELECT m.payload::text FROM messages m JOIN deliveries d ON d.message_id = m.id AND d.channel = $1
			WHERE m.conversation_id = $2 AND d.desk_message_id = $3 LIMIT 1`, channel, conversationID, a.DeskMessageID).Scan(&body)
	default:
		return 0, lifecycle.UnknownMessage(a)
	}
	if errors.Is(err, pgx.ErrNoRows) {
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
// reply lane, once per external id. The caller holds the conversation's
// lock.
func insertOp(ctx context.Context, tx pgx.Tx, conversationID, externalID string, op *payload.Op, now time.Time) error {
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
// unique), if SetSeenReaction set one. The caller holds the lock.
func (s *Store) queueSeen(ctx context.Context, tx pgx.Tx, conversationID string, now time.Time) error {
	if s.seen == "" {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT payload::text FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 20`, conversationID)
	if err != nil {
		return err
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var target int64
	for _, body := range bodies {
		if m, err := payload.DecodeMessage([]byte(body)); err == nil && m.Kind != sdk.KindNotice {
			target = max(target, m.TelegramMessageID)
		}
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
	var c store.Conversation
	err := s.tx(ctx, func(tx pgx.Tx) error {
		id, err := resolveReply(ctx, tx, channel, sdk.Reply{ThreadRef: a.ThreadRef, ConversationID: a.ConversationID, ExternalID: a.ExternalID})
		if err != nil {
			return err
		}
		c, err = conversationWhere(ctx, tx, `c.id = $1`, id, "")
		return err
	})
	return c, err
}

// CommitReaction stores a customer's reaction update once; see
// store.Reactions.
func (s *Store) CommitReaction(ctx context.Context, r store.ReactionUpdate) (store.ReactionResult, error) {
	now := s.clock()
	var res store.ReactionResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = store.ReactionResult{}
		tag, err := tx.Exec(ctx, `INSERT INTO processed_updates (bot, update_id, processed_at) VALUES ($3, $1, $2)
			ON CONFLICT (bot, update_id) DO NOTHING`, r.UpdateID, now, store.BotOr(r.Bot))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Duplicate = true
			return nil
		}
		var channel, external, convID string
		err = tx.QueryRow(ctx, `SELECT r.channel, r.external_id, r.conversation_id
			FROM conversations c JOIN reply_messages rm ON rm.conversation_id = c.id AND rm.telegram_message_id = $1
			JOIN replies r ON r.id = rm.reply_id
			WHERE c.chat_id = $2 AND c.bot = $3 AND c.business_connection_id = '' ORDER BY c.number DESC LIMIT 1`,
			r.MessageID, r.ChatID, store.BotOr(r.Bot)).Scan(&channel, &external, &convID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		res.Known, res.ConversationID = true, convID
		if err := lockConversation(ctx, tx, convID); err != nil {
			return err
		}
		channels, err := conversationChannels(ctx, tx, convID)
		if err != nil {
			return err
		}
		for _, n := range lifecycle.ReactionNotices(channel, external, cleanAll(r.Added), cleanAll(r.Removed)) {
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

func cleanAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = cleanText(s)
	}
	return out
}

// SetSeenReaction sets the seen reaction; see store.Reactions.
func (s *Store) SetSeenReaction(emoji string) { s.seen = emoji }

// SetContactPhoto records the customer's profile photo of a conversation.
func (s *Store) SetContactPhoto(ctx context.Context, conversationID, ref string) error {
	_, err := s.pool.Exec(ctx, `UPDATE conversations SET photo_ref = $1 WHERE id = $2`, cleanText(ref), conversationID)
	if err != nil {
		return fmt.Errorf("recording the photo of conversation %s: %w", conversationID, err)
	}
	return nil
}

// recordReplyMessages maps the Telegram messages an agent's reply became
// back to it (host rows are not agents' replies and are left out).
func recordReplyMessages(ctx context.Context, tx pgx.Tx, id int64, telegramMessageIDs []int64) error {
	if len(telegramMessageIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO reply_messages (conversation_id, telegram_message_id, reply_id)
		SELECT r.conversation_id, m, r.id FROM replies r, unnest($2::bigint[]) AS m WHERE r.id = $1 AND r.channel <> '' AND m <> 0
		ON CONFLICT (conversation_id, telegram_message_id) DO NOTHING`, id, telegramMessageIDs)
	return err
}

// claimedOp fills in a claimed host row's Telegram operation: for a
// delete, the messages the reply became (none when it was never sent).
func claimedOp(ctx context.Context, tx pgx.Tx, op *store.TelegramOp) error {
	if op.Kind != store.OpDelete {
		return nil
	}
	var sent string
	err := tx.QueryRow(ctx, `SELECT telegram_message_ids::text FROM replies WHERE channel = $1 AND external_id = $2 AND state = 'done'`,
		op.Channel, op.ReplyExternalID).Scan(&sent)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	op.TelegramMessageIDs, err = payload.DecodeIDs([]byte(sent))
	return err
}
