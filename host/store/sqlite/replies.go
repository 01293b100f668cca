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

// CommitReplies stores a channel's replies in one transaction; see
// store.Store.
func (s *Store) CommitReplies(ctx context.Context, channel string, rs []sdk.Reply) ([]store.ReplyResult, error) {
	now := time.Now()
	var out []store.ReplyResult
	err := s.tx(ctx, func(tx *wtx) error {
		out = out[:0]
		for _, r := range rs {
			if r.ExternalID == "" {
				return errors.New("a reply has no external id: replies are deduplicated on it")
			}
			conv, err := resolveReply(ctx, tx, channel, r)
			if err != nil {
				return err
			}
			dup, convID, err := insertReply(ctx, tx, channel, conv, r, now)
			if err != nil {
				return err
			}
			res := store.ReplyResult{Duplicate: dup, ConversationID: convID}
			if !dup {
				// agent_replied_at: no away message while an agent talks to the customer.
				_, err = tx.ExecContext(ctx, `UPDATE conversations SET updated_at = MAX(updated_at, ?1), agent_replied_at = ?1 WHERE id = ?2`, dbTime(now), conv)
				if err != nil {
					return err
				}
				var started int64
				err = tx.QueryRowContext(ctx, `UPDATE conversations SET first_reply_at = ? WHERE id = ? AND first_reply_at = 0
					RETURNING started_at`, dbTime(now), conv).Scan(&started)
				switch {
				case err == nil:
					res.FirstReply = max(now.Sub(goTime(started)), time.Microsecond)
					if err := s.queueSeen(ctx, tx, conv, now); err != nil {
						return err
					}
				case !errors.Is(err, sql.ErrNoRows):
					return err
				}
			}
			out = append(out, res)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("committing replies of %s: %w", channel, err)
	}
	return out, nil
}

// resolveReply finds the conversation a reply names, by id or by the thread
// reference the channel returned from Deliver.
func resolveReply(ctx context.Context, tx querier, channel string, r sdk.Reply) (string, error) {
	var id string
	var err error
	switch {
	case r.ConversationID != "":
		err = tx.QueryRowContext(ctx, `SELECT id FROM conversations WHERE id = ?`, r.ConversationID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("reply %s: conversation %q: %w", r.ExternalID, r.ConversationID, store.ErrUnknownConversation)
		}
	case len(r.ThreadRef) > 0:
		// Newest lane first: should a desk ever hand the same thread to two
		// conversations, the answer goes to the one that used it last.
		err = tx.QueryRowContext(ctx, `SELECT conversation_id FROM lanes WHERE channel = ? AND thread_ref = ?
			ORDER BY updated_at DESC LIMIT 1`, channel, r.ThreadRef).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("reply %s: thread %s of %s: %w", r.ExternalID, quoteRef(r.ThreadRef), channel, store.ErrUnknownConversation)
		}
	default:
		return "", fmt.Errorf("reply %s names neither a conversation nor a thread: %w", r.ExternalID, store.ErrUnknownConversation)
	}
	return id, err
}

// quoteRef shows a thread reference in an error: thread references are
// opaque bytes, usually printable ids, so quote them and cap the length.
func quoteRef(ref []byte) string {
	const max = 64
	if len(ref) > max {
		return fmt.Sprintf("%q…", ref[:max])
	}
	return fmt.Sprintf("%q", ref)
}

// insertReply queues r unless (channel, external id) is stored already; it
// reports a duplicate and the conversation of the stored reply.
func insertReply(ctx context.Context, tx *wtx, channel, conversationID string, r sdk.Reply, now time.Time) (bool, string, error) {
	body, err := payload.EncodeReply(r)
	if err != nil {
		return false, "", err
	}
	return insertReplyBody(ctx, tx, channel, conversationID, r.ExternalID, body, now)
}

// insertReplyBody is insertReply of a row already encoded.
func insertReplyBody(ctx context.Context, tx *wtx, channel, conversationID, externalID string, body []byte, now time.Time) (bool, string, error) {
	r := sdk.Reply{ExternalID: externalID}
	res, err := tx.ExecContext(ctx, `INSERT INTO replies (channel, external_id, conversation_id, payload, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, external_id) DO NOTHING`,
		channel, r.ExternalID, conversationID, string(body), dbTime(now), dbTime(now), dbTime(now))
	if err != nil {
		return false, "", fmt.Errorf("storing reply %s: %w", r.ExternalID, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, conversationID, nil
	}
	var stored string
	err = tx.QueryRowContext(ctx, `SELECT conversation_id FROM replies WHERE channel = ? AND external_id = ?`, channel, r.ExternalID).Scan(&stored)
	return true, stored, err
}

// claimReplies selects the claimable head of each conversation's replies;
// the rules are those of claimDeliveries with a conversation as the lane.
const claimReplies = `SELECT ` + conversationCols + `, r.id, r.channel, r.attempts, r.created_at, r.payload, r.telegram_message_ids
	FROM replies r INDEXED BY replies_pending
	JOIN conversations c ON c.id = r.conversation_id
	WHERE r.state = 'pending'
	  AND r.next_attempt_at <= ?1
	  AND (r.lease_until IS NULL OR r.lease_until < ?1)
	  AND r.id = (SELECT MIN(p.id) FROM replies p WHERE p.conversation_id = r.conversation_id AND p.state = 'pending')
	ORDER BY r.id
	LIMIT ?2`

// ClaimReplies leases the oldest pending reply of up to opt.Limit ready
// conversations.
func (s *Store) ClaimReplies(ctx context.Context, opt store.ClaimOptions) ([]store.OutgoingReply, error) {
	if err := checkClaim(opt); err != nil {
		return nil, err
	}
	if opt.Limit <= 0 {
		return nil, nil
	}
	now := nowOr(opt.Now)
	var out []store.OutgoingReply
	err := s.tx(ctx, func(tx *wtx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, claimReplies, dbTime(now), opt.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var r store.OutgoingReply
			var created int64
			var body, sent string
			r.Conversation, err = scanConversation(rows, &r.ID, &r.Channel, &r.Attempts, &created, &body, &sent)
			if err != nil {
				return err
			}
			r.CreatedAt = goTime(created)
			if r.Sent, err = payload.DecodeIDs([]byte(sent)); err != nil {
				return fmt.Errorf("reply %d: %w", r.ID, err)
			}
			var op *payload.Op
			if r.Reply, op, err = payload.DecodeReplyOp([]byte(body)); err != nil {
				return fmt.Errorf("reply %d: %w", r.ID, err)
			}
			if op != nil {
				r.Op = lifecycle.TelegramOp(op)
			}
			out = append(out, r)
			ids = append(ids, r.ID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i, r := range out {
			if r.Op != nil {
				if out[i].Op, err = claimedOp(ctx, tx, r.Op); err != nil {
					return err
				}
				continue
			}
			if r.Reply.EditOf == "" {
				continue
			}
			var sent string
			err := tx.QueryRowContext(ctx, `SELECT telegram_message_ids FROM replies
				WHERE channel = ? AND external_id = ? AND state = 'done'`, r.Channel, r.Reply.EditOf).Scan(&sent)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if out[i].EditOfTelegramMessageIDs, err = payload.DecodeIDs([]byte(sent)); err != nil {
				return err
			}
		}
		return replies.lease(ctx, tx, ids, opt.Owner, now.Add(opt.Lease))
	})
	if err != nil {
		return nil, fmt.Errorf("claiming replies: %w", err)
	}
	return out, nil
}

// CompleteReply marks a reply sent, with the Telegram ids it became.
func (s *Store) CompleteReply(ctx context.Context, id int64, owner string, telegramMessageIDs []int64) error {
	ids, err := payload.EncodeIDs(telegramMessageIDs)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *wtx) error {
		if _, _, err := replies.finish(ctx, tx, id, owner, `state = 'done', telegram_message_ids = ?`, string(ids)); err != nil {
			return err
		}
		return recordReplyMessages(ctx, tx, id, telegramMessageIDs)
	})
	if err != nil {
		return fmt.Errorf("completing reply %d: %w", id, err)
	}
	return nil
}

// RetryReply records a failed attempt and schedules the next one.
func (s *Store) RetryReply(ctx context.Context, id int64, owner string, next time.Time, lastErr string) error {
	return replies.retry(ctx, s, id, owner, next, lastErr)
}

// FailReply gives up on a reply.
func (s *Store) FailReply(ctx context.Context, id int64, owner string, lastErr string) error {
	return replies.fail(ctx, s, id, owner, lastErr)
}
