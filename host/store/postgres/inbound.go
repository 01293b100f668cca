package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// CommitInbound stores an update in one transaction; see store.Store.
// Two replicas committing the same update id at once are serialised by
// the processed_updates key: the second waits, then sees a duplicate.
func (s *Store) CommitInbound(ctx context.Context, in store.Inbound) (store.CommitResult, error) {
	var res store.CommitResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = commitInbound(ctx, tx, in)
		return err
	})
	if err != nil {
		return store.CommitResult{}, fmt.Errorf("committing update %d: %w", in.UpdateID, err)
	}
	return res, nil
}

// CommitInbounds stores a batch of updates in one transaction; see
// store.InboundBatcher. One transaction per getUpdates batch spares intake
// a commit (a WAL flush and a round trip) per update.
//
// The transaction keeps every conversation of the batch locked until it
// commits, so a reply or notice for one of them waits for the whole batch.
func (s *Store) CommitInbounds(ctx context.Context, ins []store.Inbound) ([]store.CommitResult, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	out := make([]store.CommitResult, len(ins))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for i, in := range ins {
			res, err := commitInbound(ctx, tx, in)
			if err != nil {
				return fmt.Errorf("committing update %d: %w", in.UpdateID, err)
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("committing a batch of %d updates: %w", len(ins), err)
	}
	return out, nil
}

var _ store.InboundBatcher = (*Store)(nil)

// commitInbound stores one update inside tx, seeing what tx stored before.
func commitInbound(ctx context.Context, tx pgx.Tx, in store.Inbound) (store.CommitResult, error) {
	var res store.CommitResult
	in.Time = nowOr(in.Time)
	tag, err := tx.Exec(ctx, `INSERT INTO processed_updates (update_id, processed_at) VALUES ($1, $2)
		ON CONFLICT (update_id) DO NOTHING`, in.UpdateID, time.Now())
	if err != nil {
		return res, err
	}
	if tag.RowsAffected() == 0 {
		res.Duplicate = true
		if in.ChatID == 0 {
			return res, nil
		}
		c, err := conversationWhere(ctx, tx, `c.chat_id = $1`, in.ChatID, "")
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		res.Conversation = c
		return res, nil
	}
	if in.ChatID == 0 {
		return res, nil // an ignored update: only its id is recorded, so the offset moves on
	}
	if res.Conversation, res.Created, err = upsertConversation(ctx, tx, in, ident.Conversation); err != nil {
		return res, err
	}
	for _, m := range in.Messages {
		if m.ID == "" {
			return res, errors.New("a message has no id")
		}
		if err := insertMessage(ctx, tx, res.Conversation.ID, m, in.Channels, in.Time); err != nil {
			return res, err
		}
	}
	if in.Answer != nil {
		a := *in.Answer
		a.ConversationID = res.Conversation.ID
		if _, _, err := insertReply(ctx, tx, "", res.Conversation.ID, a, in.Time); err != nil {
			return res, err
		}
	}
	return res, nil
}

// insertMessage stores m and queues it to every channel, unless a message
// with its id exists (a redelivered update the dedupe table no longer
// knows, or a caller's retry): then nothing is queued again. The caller
// holds the conversation's lock (lockConversation).
func insertMessage(ctx context.Context, tx pgx.Tx, conversationID string, m sdk.Message, channels []string, now time.Time) error {
	body, err := payload.EncodeMessage(m)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO messages (id, conversation_id, payload, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, m.ID, conversationID, string(body), now)
	if err != nil {
		return fmt.Errorf("storing message %s: %w", m.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	for _, ch := range channels {
		if ch == "" {
			return fmt.Errorf("queueing message %s: empty channel name", m.ID)
		}
	}
	if len(channels) == 0 {
		return nil
	}
	// One statement for every channel: the rows take ids in the order
	// given, and migration 00003's trigger updates their lanes' heads once.
	_, err = tx.Exec(ctx, `INSERT INTO deliveries (conversation_id, channel, message_id, edit_of, next_attempt_at, created_at, updated_at)
		SELECT $1, ch, $3, NULLIF($4, ''), $5, $5, $5 FROM unnest($2::text[]) WITH ORDINALITY AS c (ch, n) ORDER BY n`,
		conversationID, channels, m.ID, cleanText(m.EditOf), now)
	if err != nil {
		return fmt.Errorf("queueing message %s: %w", m.ID, err)
	}
	return nil
}

// TelegramOffset is one past the highest committed update id, 0 when none.
func (s *Store) TelegramOffset(ctx context.Context) (int64, error) {
	var off int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(update_id) + 1, 0) FROM processed_updates`).Scan(&off); err != nil {
		return 0, fmt.Errorf("reading the telegram offset: %w", err)
	}
	return off, nil
}

// EnqueueNotice stores a host notice as a message of the conversation and
// queues it to the channels, behind what the lanes already hold.
func (s *Store) EnqueueNotice(ctx context.Context, conversationID string, n sdk.Notice, channels []string) error {
	now := time.Now()
	m := sdk.Message{ID: ident.Notice(), Time: now, Kind: sdk.KindNotice, Text: n.Text, Notice: &n}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockConversation(ctx, tx, conversationID); err != nil {
			return err
		}
		return insertMessage(ctx, tx, conversationID, m, channels, now)
	})
	if err != nil {
		return fmt.Errorf("queueing notice %s to conversation %s: %w", n.Code, conversationID, err)
	}
	return nil
}
