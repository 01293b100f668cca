package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// CommitReplies stores a channel's replies in one transaction; see
// store.Store.
func (s *Store) CommitReplies(ctx context.Context, channel string, rs []sdk.Reply) ([]store.ReplyResult, error) {
	now := s.clock()
	var out []store.ReplyResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		convs := make([]string, len(rs))
		for i, r := range rs {
			if r.ExternalID == "" {
				return errors.New("a reply has no external id: replies are deduplicated on it")
			}
			var err error
			if convs[i], err = resolveReply(ctx, tx, channel, r); err != nil {
				return err
			}
		}
		// Lock the conversations before inserting (see lockConversation),
		// in one order, so two batches naming the same conversations
		// cannot deadlock.
		locks := slices.Clone(convs)
		slices.Sort(locks)
		for _, id := range slices.Compact(locks) {
			if err := lockConversation(ctx, tx, id); err != nil {
				return err
			}
		}
		for i, r := range rs {
			dup, convID, err := insertReply(ctx, tx, channel, convs[i], r, now)
			if err != nil {
				return err
			}
			res := store.ReplyResult{Duplicate: dup, ConversationID: convID}
			if !dup {
				// agent_replied_at: no away message while an agent talks to the customer.
				if _, err := tx.Exec(ctx, `UPDATE conversations SET updated_at = GREATEST(updated_at, $1), agent_replied_at = $1 WHERE id = $2`,
					now, convs[i]); err != nil {
					return err
				}
				var started time.Time
				err := tx.QueryRow(ctx, `UPDATE conversations SET first_reply_at = $1 WHERE id = $2 AND first_reply_at IS NULL
					RETURNING started_at`, now, convs[i]).Scan(&started)
				switch {
				case err == nil:
					res.FirstReply = max(now.Sub(started), time.Microsecond)
					if err := s.queueSeen(ctx, tx, convs[i], now); err != nil {
						return err
					}
				case !errors.Is(err, pgx.ErrNoRows):
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
func resolveReply(ctx context.Context, tx pgx.Tx, channel string, r sdk.Reply) (string, error) {
	var id string
	var err error
	switch {
	case r.ConversationID != "":
		err = tx.QueryRow(ctx, `SELECT id FROM conversations WHERE id = $1`, cleanText(r.ConversationID)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("reply %s: conversation %q: %w", r.ExternalID, r.ConversationID, store.ErrUnknownConversation)
		}
	case len(r.ThreadRef) > 0:
		// Newest lane first: should a desk ever hand the same thread to two
		// conversations, the answer goes to the one that used it last.
		err = tx.QueryRow(ctx, `SELECT conversation_id FROM lanes WHERE channel = $1 AND thread_ref = $2
			ORDER BY updated_at DESC LIMIT 1`, channel, r.ThreadRef).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
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
// reports a duplicate and the conversation of the stored reply. The caller
// holds the conversation's lock. A concurrent insert of the same key makes
// this one wait for it and then see the duplicate.
func insertReply(ctx context.Context, tx pgx.Tx, channel, conversationID string, r sdk.Reply, now time.Time) (bool, string, error) {
	body, err := payload.EncodeReply(r)
	if err != nil {
		return false, "", err
	}
	return insertReplyBody(ctx, tx, channel, conversationID, r.ExternalID, body, now)
}

// insertReplyBody is insertReply of a row already encoded.
func insertReplyBody(ctx context.Context, tx pgx.Tx, channel, conversationID, rawExternalID string, body []byte, now time.Time) (bool, string, error) {
	r := sdk.Reply{ExternalID: rawExternalID}
	externalID := cleanText(r.ExternalID)
	tag, err := tx.Exec(ctx, `INSERT INTO replies (channel, external_id, conversation_id, payload, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, LEAST($5, now()), $5, $5) ON CONFLICT (channel, external_id) DO NOTHING`,
		channel, externalID, conversationID, string(body), now)
	if err != nil {
		return false, "", fmt.Errorf("storing reply %s: %w", r.ExternalID, err)
	}
	if tag.RowsAffected() > 0 {
		return false, conversationID, nil
	}
	var stored string
	err = tx.QueryRow(ctx, `SELECT conversation_id FROM replies WHERE channel = $1 AND external_id = $2`, channel, externalID).Scan(&stored)
	return true, stored, err
}

// leaseReplies leases the reply candidates still at the head of their lane.
var leaseReplies = replies.leaseHeads(`d.id`)

// claimedReplies reads what a worker needs of the replies it leased.
const claimedReplies = `SELECT ` + conversationCols + `, r.id, r.channel, r.attempts, r.created_at, r.payload::text,
	r.telegram_message_ids::text
	FROM replies r
	JOIN conversations c ON c.id = r.conversation_id
	WHERE r.id = ANY($1)
	ORDER BY r.id`

// ClaimReplies leases the oldest pending reply of up to opt.Limit ready
// conversations; the rules are those of ClaimDeliveries with a
// conversation as the lane.
func (s *Store) ClaimReplies(ctx context.Context, opt store.ClaimOptions) ([]store.OutgoingReply, error) {
	if err := checkClaim(opt); err != nil {
		return nil, err
	}
	if opt.Limit <= 0 {
		return nil, nil
	}
	at := claimAt(opt)
	var out []store.OutgoingReply
	err := replies.claim(ctx, s, opt.Limit, at, func(tx pgx.Tx, candidates []int64) error {
		out = nil
		rows, err := tx.Query(ctx, leaseReplies, candidates, opt.Owner, opt.Lease.Microseconds(), at)
		if err != nil {
			return fmt.Errorf("leasing replies: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("leasing replies: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, claimedReplies, ids)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OutgoingReply, error) {
			var r store.OutgoingReply
			var body, sent string
			var err error
			r.Conversation, err = scanConversation(row, &r.ID, &r.Channel, &r.Attempts, &r.CreatedAt, &body, &sent)
			if err != nil {
				return r, err
			}
			r.CreatedAt = r.CreatedAt.UTC()
			if r.Sent, err = payload.DecodeIDs([]byte(sent)); err != nil {
				return r, fmt.Errorf("reply %d: %w", r.ID, err)
			}
			var op *payload.Op
			if r.Reply, op, err = payload.DecodeReplyOp([]byte(body)); err != nil {
				return r, fmt.Errorf("reply %d: %w", r.ID, err)
			}
			if op != nil {
				r.Op = lifecycle.TelegramOp(op)
			}
			return r, nil
		})
		if err != nil {
			return err
		}
		for i, r := range out {
			if r.Op != nil {
				if err := claimedOp(ctx, tx, r.Op); err != nil {
					return err
				}
				continue
			}
			if r.Reply.EditOf == "" {
				continue
			}
			var sent string
			err := tx.QueryRow(ctx, `SELECT telegram_message_ids::text FROM replies
				WHERE channel = $1 AND external_id = $2 AND state = 'done'`, r.Channel, r.Reply.EditOf).Scan(&sent)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if out[i].EditOfTelegramMessageIDs, err = payload.DecodeIDs([]byte(sent)); err != nil {
				return err
			}
		}
		return nil
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
	err = again(ctx, func() error {
		return s.tx(ctx, func(tx pgx.Tx) error {
			if _, _, err := replies.finish(ctx, tx, id, owner, `state = 'done', telegram_message_ids = $3`, string(ids)); err != nil {
				return err
			}
			return recordReplyMessages(ctx, tx, id, telegramMessageIDs)
		})
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
