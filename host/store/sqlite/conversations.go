package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/sdk"
)

// conversationCols are read by scanConversation, in order; "c" is the
// conversations table's alias in every query that uses them.
const conversationCols = `c.id, c.number, c.chat_id, c.telegram_user_id, c.first_name, c.last_name,
	c.username, c.language_code, c.photo_url, c.start_payload, c.blocked, c.started_at, c.updated_at,
	c.state, c.claimed_by, c.closed_by, c.close_reason, c.closed_at, c.previous_id, c.previous_number,
	c.bot, c.business_connection_id`

// querier is what reads need, inside or outside a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type scanner interface{ Scan(dest ...any) error }

// scanConversation reads conversationCols, followed by extra destinations.
func scanConversation(row scanner, extra ...any) (store.Conversation, error) {
	var c store.Conversation
	var started, updated, closed int64
	dest := append([]any{&c.ID, &c.Number, &c.ChatID, &c.Contact.TelegramUserID, &c.Contact.FirstName,
		&c.Contact.LastName, &c.Contact.Username, &c.Contact.LanguageCode, &c.Contact.PhotoURL,
		&c.StartPayload, &c.Blocked, &started, &updated,
		&c.State, &c.ClaimedBy, &c.ClosedBy, &c.CloseReason, &closed, &c.PreviousID, &c.PreviousNumber,
		&c.Bot, &c.BusinessConnectionID}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Conversation{}, err
	}
	c.StartedAt, c.UpdatedAt = goTime(started), goTime(updated)
	if closed != 0 {
		c.ClosedAt = goTime(closed)
	}
	return c, nil
}

func conversationWhere(ctx context.Context, q querier, where string, args ...any) (store.Conversation, error) {
	c, err := scanConversation(q.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations c WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Conversation{}, store.ErrNotFound
	}
	return c, err
}

// Conversation finds a conversation by id.
func (s *Store) Conversation(ctx context.Context, id string) (store.Conversation, error) {
	c, err := conversationWhere(ctx, s.read, `c.id = ?`, id)
	if err != nil {
		return c, fmt.Errorf("conversation %s: %w", id, err)
	}
	return c, nil
}

// ConversationByChat finds the latest conversation of a chat of the
// default bot.
func (s *Store) ConversationByChat(ctx context.Context, chatID int64) (store.Conversation, error) {
	return s.ConversationByKey(ctx, store.ChatKey{ChatID: chatID})
}

// ConversationByKey finds the latest conversation of a chat.
func (s *Store) ConversationByKey(ctx context.Context, key store.ChatKey) (store.Conversation, error) {
	c, err := conversationWhere(ctx, s.read, latestOfChat, key.ChatID, store.BotOr(key.Bot), key.BusinessConnectionID)
	if err != nil {
		return c, fmt.Errorf("conversation of chat %d of bot %s: %w", key.ChatID, store.BotOr(key.Bot), err)
	}
	return c, nil
}

// latestOfChat selects a chat's latest conversation (conversations_chat):
// chat id, bot and business connection id are its arguments.
const latestOfChat = `c.chat_id = ? AND c.bot = ? AND c.business_connection_id = ? ORDER BY c.number DESC LIMIT 1`

// Conversations lists the most recently active conversations; limit <= 0
// means 100.
func (s *Store) Conversations(ctx context.Context, limit int) ([]store.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.listConversations(ctx, `1 ORDER BY c.updated_at DESC, c.number DESC LIMIT ?`, limit)
}

// SetBlocked marks a conversation blocked or unblocked.
func (s *Store) SetBlocked(ctx context.Context, conversationID string, blocked bool) error {
	res, err := s.write.ExecContext(ctx, `UPDATE conversations SET blocked = ? WHERE id = ?`, blocked, conversationID)
	if err != nil {
		return fmt.Errorf("marking conversation %s blocked=%t: %w", conversationID, blocked, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("conversation %s: %w", conversationID, store.ErrNotFound)
	}
	return nil
}

// intakeConversation finds the conversation an update goes to, filling
// in res: the chat's open or claimed one (its contact refreshed); after a
// close, the closed one reopened or a new one, per in.Policy, when the
// update has messages (an update without messages, such as a bare /start,
// stays in the closed one); a new one for a new chat. in.CloseCurrent
// first closes the live one. Notices of a close or reopen are queued
// before the update's messages. in.Time must be set.
func intakeConversation(ctx context.Context, tx *wtx, in store.Inbound, res *store.CommitResult) error {
	now := in.Time
	if !in.CloseCurrent {
		// The common case in one statement, as before lifecycles: the
		// chat's live conversation (found through the partial unique
		// index on live chats) refreshed in place.
		c, err := touchConversation(ctx, tx, touchLiveSQL, in, in.ChatID, in.Bot, in.BusinessConnectionID)
		if err == nil {
			res.Conversation = c
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The next most common: a chat never seen, in one more statement.
		c, err = insertConversation(ctx, tx, in, nil, true)
		if err == nil {
			res.Conversation, res.Created = c, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	c, err := conversationWhere(ctx, tx, latestOfChat, in.ChatID, in.Bot, in.BusinessConnectionID)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if found && in.CloseCurrent && c.State != sdk.StateClosed {
		if err := closeConversation(ctx, tx, c, lifecycle.TheCustomer, sdk.CloseByCustomer, now, in.Channels); err != nil {
			return err
		}
		if c, err = conversationWhere(ctx, tx, `c.id = ?`, c.ID); err != nil {
			return err
		}
		closed := c
		res.Closed = &closed
	}
	var prev *store.Conversation
	if found && c.State == sdk.StateClosed && len(in.Messages) > 0 {
		if in.Policy.Reopens(c, now) {
			c = lifecycle.Reopen(c)
			if err := writeLifecycle(ctx, tx, c); err != nil {
				return err
			}
			channels, err := conversationChannels(ctx, tx, c.ID)
			if err != nil {
				return err
			}
			if err := queueNotice(ctx, tx, c.ID, lifecycle.CustomerReopenedNotice(c), union(channels, in.Channels), now); err != nil {
				return err
			}
			res.Reopened = true
		} else {
			prev, found = &c, false
		}
	}
	if !found {
		res.Conversation, err = insertConversation(ctx, tx, in, prev, false)
		res.Created = true
		return err
	}
	res.Conversation, err = touchConversation(ctx, tx, touchByIDSQL, in, c.ID)
	return err
}

// touchConversation records an update's time, contact and start payload
// on the existing conversation query (touchLiveSQL or touchByIDSQL, whose
// arguments are ?11 on) selects; sql.ErrNoRows (wrapped) when there is none.
func touchConversation(ctx context.Context, tx *wtx, query string, in store.Inbound, whereArgs ...any) (store.Conversation, error) {
	payload := ""
	if in.StartPayload != nil {
		payload = *in.StartPayload
	}
	ct := in.Contact
	// An update without a sender (a channel post, a service message) must
	// not wipe the contact we know.
	hasContact := ct != (sdk.Contact{})
	args := append([]any{dbTime(in.Time), hasContact, ct.TelegramUserID, ct.FirstName, ct.LastName, ct.Username,
		ct.LanguageCode, ct.PhotoURL, in.StartPayload != nil, payload}, whereArgs...)
	row := tx.QueryRowContext(ctx, query, args...)
	c, err := scanConversation(row)
	if err != nil {
		return store.Conversation{}, fmt.Errorf("storing the conversation of chat %d: %w", in.ChatID, err)
	}
	return c, nil
}

// returningCols are conversationCols named bare, as RETURNING wants them.
var returningCols = strings.ReplaceAll(conversationCols, "c.", "")

// touchSQL is touchConversation's statement without its WHERE clause.
var touchSQL = `UPDATE conversations SET updated_at = MAX(updated_at, ?1),
		telegram_user_id = CASE WHEN ?2 THEN ?3 ELSE telegram_user_id END,
		first_name = CASE WHEN ?2 THEN ?4 ELSE first_name END,
		last_name = CASE WHEN ?2 THEN ?5 ELSE last_name END,
		username = CASE WHEN ?2 THEN ?6 ELSE username END,
		language_code = CASE WHEN ?2 THEN ?7 ELSE language_code END,
		photo_url = CASE WHEN ?2 THEN ?8 ELSE photo_url END,
		start_payload = CASE WHEN ?9 THEN ?10 ELSE start_payload END
		WHERE `

// touchConversation's two statements, built once: building them per call
// cost every update a string concatenation (and the statement cache a
// hash of the new string).
var (
	// touchLiveSQL refreshes the live conversation of chat ?11 of bot ?12
	// through business connection ?13.
	touchLiveSQL = touchSQL + `chat_id = ?11 AND bot = ?12 AND business_connection_id = ?13 AND state <> 'closed' RETURNING ` + returningCols
	// touchByIDSQL refreshes the conversation with id ?11.
	touchByIDSQL = touchSQL + `id = ?11 RETURNING ` + returningCols
)

// insertConversation starts a conversation of in.ChatID with the next
// Number, following prev when the chat had one. With onlyFirst it inserts
// nothing, and answers sql.ErrNoRows (wrapped), when the chat has any
// conversation already.
func insertConversation(ctx context.Context, tx *wtx, in store.Inbound, prev *store.Conversation, onlyFirst bool) (store.Conversation, error) {
	payload := ""
	if in.StartPayload != nil {
		payload = *in.StartPayload
	}
	var prevID string
	var prevNumber int64
	if prev != nil {
		prevID, prevNumber = prev.ID, prev.Number
		if in.StartPayload == nil {
			payload = prev.StartPayload
		}
	}
	ct := in.Contact
	if ct == (sdk.Contact{}) && prev != nil {
		ct = prev.Contact
	}
	id := ident.Conversation()
	c, err := scanConversation(tx.QueryRowContext(ctx, `INSERT INTO conversations (id, number, chat_id, telegram_user_id,
		first_name, last_name, username, language_code, photo_url, start_payload, started_at, updated_at, previous_id, previous_number,
		bot, business_connection_id)
		SELECT ?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM conversations), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?14, ?15
		WHERE NOT ?13 OR NOT EXISTS (SELECT 1 FROM conversations WHERE chat_id = ?2 AND bot = ?14 AND business_connection_id = ?15)
		RETURNING `+returningCols,
		id, in.ChatID, ct.TelegramUserID, ct.FirstName, ct.LastName, ct.Username, ct.LanguageCode,
		ct.PhotoURL, payload, dbTime(in.Time), prevID, prevNumber, onlyFirst, in.Bot, in.BusinessConnectionID))
	if err != nil {
		return store.Conversation{}, fmt.Errorf("storing the conversation of chat %d: %w", in.ChatID, err)
	}
	return c, nil
}
