package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/ident"
	"github.com/parley-dev/parley/host/store/internal/lifecycle"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/host/store/internal/route"
	"github.com/parley-dev/parley/sdk"
)

// CommitInbound stores an update in one transaction: a batch of one.
// Two replicas committing the same update id at once are serialised by
// the processed_updates key: the second waits, then sees a duplicate.
func (s *Store) CommitInbound(ctx context.Context, in store.Inbound) (store.CommitResult, error) {
	out, err := s.commitInboundsRetrying(ctx, []store.Inbound{in})
	if err != nil {
		return store.CommitResult{}, fmt.Errorf("committing update %d: %w", in.UpdateID, err)
	}
	return out[0], nil
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
	out, err := s.commitInboundsRetrying(ctx, ins)
	if err != nil {
		return nil, fmt.Errorf("committing a batch of %d updates: %w", len(ins), err)
	}
	return out, nil
}

var _ store.InboundBatcher = (*Store)(nil)

// recordUpdates records the update ids $2 of the bots $1 (distinct pairs,
// inserted in ascending order, so that two batches sharing ids lock them in
// one order) and returns those that were new: the others were committed
// before, or are being committed by a transaction this one waited for.
const recordUpdates = `INSERT INTO processed_updates (bot, update_id, processed_at)
	SELECT b, u, $3 FROM unnest($1::text[], $2::bigint[]) AS x (b, u) ORDER BY b COLLATE "C", u
	ON CONFLICT (bot, update_id) DO NOTHING
	RETURNING bot, update_id`

// botUpdate is an update id of a bot: update ids are per bot.
type botUpdate struct {
	bot string
	id  int64
}

// liveChats lists the chats among the chat ids $1 of the bots $2 and
// business connections $3 that have a live conversation. The arrays
// filter each column on its own (a superset of the batch's keys, which
// keeps the statement on conversations_live_chat); the caller matches the
// keys.
const liveChats = `SELECT chat_id, bot, business_connection_id FROM conversations
	WHERE chat_id = ANY($1) AND bot = ANY($2) AND business_connection_id = ANY($3) AND state <> 'closed'`

// errMustCreate aborts a batch that found, once it held the locks, that
// it must start a conversation (the chat's was closed meanwhile) without
// holding the lockNumbers lock; it runs again holding it.
var errMustCreate = errors.New("a conversation must be created")

// commitInboundsRetrying runs commitInbounds, again holding the
// lockNumbers lock when it turned out to need it, or when a concurrent
// transaction gave the chat a new live conversation first (the unique
// index conversations_live_chat refused a second).
func (s *Store) commitInboundsRetrying(ctx context.Context, ins []store.Inbound) ([]store.CommitResult, error) {
	lock := false
	for attempt := 0; ; attempt++ {
		out, err := s.commitInbounds(ctx, ins, lock)
		var pg *pgconn.PgError
		retry := errors.Is(err, errMustCreate) || (errors.As(err, &pg) && pg.Code == "23505" && pg.ConstraintName == "conversations_live_chat")
		if !retry || attempt == 3 {
			return out, err
		}
		lock = true
	}
}

// lockChats reads and locks the latest conversation of each chat in $1
// (the open or claimed one, when the chat has one), in id order
// (byte order, as CommitReplies sorts them) so that two transactions never
// wait for each other in a circle. The lock is what orders a lane's rows
// (see lockConversation); the rows read are the latest versions, which the
// batch's changes start from.
const lockChats = `SELECT ` + conversationCols + ` FROM conversations c WHERE c.id IN (
	SELECT DISTINCT ON (chat_id, bot, business_connection_id) id FROM conversations
	WHERE chat_id = ANY($1) AND bot = ANY($2) AND business_connection_id = ANY($3)
	ORDER BY chat_id, bot, business_connection_id, number DESC)
	ORDER BY c.id COLLATE "C" FOR NO KEY UPDATE`

// conversationsChannels lists the channels each conversation of $1 is in.
const conversationsChannels = `SELECT conversation_id, channel FROM lanes WHERE conversation_id = ANY($1)
	UNION SELECT conversation_id, channel FROM deliveries WHERE conversation_id = ANY($1) ORDER BY 1, 2`

// createConversations inserts the conversations of a batch's new chats,
// numbered on from the highest number in order of their first update; the
// caller holds the lockNumbers lock.
const createConversations = `INSERT INTO conversations AS c (id, number, chat_id, telegram_user_id,
		first_name, last_name, username, language_code, photo_url, start_payload, started_at, updated_at,
		state, claimed_by, closed_by, close_reason, closed_at, previous_id, previous_number, bot, business_connection_id)
	SELECT u.id, u.number, u.chat_id, u.user_id,
		u.first_name, u.last_name, u.username, u.language_code, u.photo_url, u.start_payload, u.started_at, u.updated_at,
		u.state, u.claimed_by, u.closed_by, u.close_reason, u.closed_at, u.previous_id, u.previous_number, u.bot, u.business_connection_id
	FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::timestamptz[], $11::timestamptz[],
		$12::text[], $13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::text[], $18::bigint[], $19::bigint[],
		$20::text[], $21::text[]) WITH ORDINALITY
		AS u (id, chat_id, user_id, first_name, last_name, username, language_code, photo_url, start_payload, started_at, updated_at,
			state, claimed_by, closed_by, close_reason, closed_at, previous_id, previous_number, number, bot, business_connection_id, n)
	ORDER BY u.n`

// updateConversations writes the batch's changes to conversations it
// found (and holds locked).
const updateConversations = `UPDATE conversations c SET telegram_user_id = u.user_id, first_name = u.first_name,
		last_name = u.last_name, username = u.username, language_code = u.language_code, photo_url = u.photo_url,
		start_payload = u.start_payload, updated_at = u.updated_at,
		state = u.state, claimed_by = u.claimed_by, closed_by = u.closed_by, close_reason = u.close_reason, closed_at = u.closed_at
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
		$10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[])
		AS u (id, user_id, first_name, last_name, username, language_code, photo_url, start_payload, updated_at,
			state, claimed_by, closed_by, close_reason, closed_at)
	WHERE c.id = u.id`

// insertMessages stores the batch's messages ($1-$4) and queues the
// deliveries ($5-$9) of those it stored: a message whose id was stored
// before is skipped with its deliveries. The deliveries take ids in the
// order given, which is lane order, and migration 00003's trigger updates
// the heads of their lanes once for the statement.
const insertMessages = `WITH m AS (
	INSERT INTO messages (id, conversation_id, payload, created_at)
	SELECT u.id, u.conversation_id, u.payload::json, u.created_at
	FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS u (id, conversation_id, payload, created_at, n)
	ORDER BY u.n
	ON CONFLICT (id) DO NOTHING
	RETURNING id
)
INSERT INTO deliveries (conversation_id, channel, message_id, edit_of, next_attempt_at, created_at, updated_at)
SELECT u.conversation_id, u.channel, u.message_id, NULLIF(u.edit_of, ''), LEAST(u.created_at, now()), u.created_at, u.created_at
FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) WITH ORDINALITY
	AS u (conversation_id, channel, message_id, edit_of, created_at, n)
WHERE u.message_id IN (SELECT id FROM m)
ORDER BY u.n`

// commitInbounds commits a batch with a handful of statements whatever its
// size, in four round trips: the update ids and which chats have a
// conversation, with the BEGIN; the conversations' locks; the writes; the
// COMMIT. The batch's effect on each conversation is worked out here,
// update by update, from the locked rows, which is what gives each update
// its result as if committed alone; each row is then written once.
func (s *Store) commitInbounds(ctx context.Context, ins []store.Inbound, lockNumbersFirst bool) (_ []store.CommitResult, err error) {
	ins = slices.Clone(ins)
	var updBots, chatBots, chatConns []string
	var ids, chats []int64
	for i := range ins {
		ins[i].Time = s.nowOr(ins[i].Time)
		ins[i].Bot = store.BotOr(cleanText(ins[i].Bot))
		ins[i].BusinessConnectionID = cleanText(ins[i].BusinessConnectionID)
		updBots, ids = append(updBots, ins[i].Bot), append(ids, ins[i].UpdateID)
		if ins[i].ChatID != 0 {
			chats = append(chats, ins[i].ChatID)
			chatBots, chatConns = append(chatBots, ins[i].Bot), append(chatConns, ins[i].BusinessConnectionID)
		}
	}
	updBots, ids = distinctUpdates(updBots, ids)
	slices.Sort(chats)
	chats = slices.Compact(chats)
	chatBots, chatConns = distinct(chatBots), distinct(chatConns)
	// Duplicates' chats are read and locked too: rare, and harmless.

	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(recordUpdates, updBots, ids, s.clock())
	b.Queue(liveChats, chats, chatBots, chatConns)
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() {
		if rerr := tx.Rollback(ctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) && err == nil {
			err = rerr
		}
	}()
	var recordedIDs []botUpdate
	var known []store.ChatKey
	if _, err = br.Exec(); err == nil { // the BEGIN
		if recordedIDs, err = collectBotUpdates(br); err == nil {
			known, err = collectChatKeys(br)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}

	// Which updates are new: the first of each recorded id.
	recorded := map[botUpdate]bool{}
	for _, id := range recordedIDs {
		recorded[id] = true
	}
	fresh := make([]bool, len(ins))
	creates := false
	for i, in := range ins {
		u := botUpdate{in.Bot, in.UpdateID}
		if !recorded[u] {
			continue
		}
		fresh[i] = true
		delete(recorded, u)
		if in.ChatID == 0 {
			continue
		}
		for _, m := range in.Messages {
			if m.ID == "" {
				return nil, inBatch(ins, in, errors.New("a message has no id"))
			}
		}
		for _, ch := range in.Channels {
			if ch == "" && len(in.Messages) > 0 {
				return nil, inBatch(ins, in, errors.New("empty channel name"))
			}
		}
		creates = creates || !slices.Contains(known, chatKey(in))
	}
	creates = creates || lockNumbersFirst

	// Lock the conversations; when the batch may create some, serialise
	// with other creators first (Number is MAX+1), and only then: a
	// transaction holding conversation locks while it waits for creators
	// could be waited for by a creator in turn. Locked after the wait, the
	// rows read include conversations another replica created meanwhile.
	convs := map[store.ChatKey]*store.Conversation{} // by chat
	w := newInboundWrites(len(ins))
	w.numbered = creates
	if len(chats) > 0 {
		b := &pgx.Batch{}
		if creates {
			b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockNumbers)
			b.Queue(`SELECT COALESCE(MAX(number), 0) FROM conversations`)
		}
		b.Queue(lockChats, chats, chatBots, chatConns)
		br := tx.SendBatch(ctx, b)
		if creates {
			if _, err = br.Exec(); err == nil {
				err = br.QueryRow().Scan(&w.lastNumber)
			}
		}
		if err == nil {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				err = readConversations(rows, convs)
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	// The channels of conversations a close or reopen may tell.
	var lifecycleIDs []string
	for i, in := range ins {
		if c := convs[chatKey(in)]; fresh[i] && c != nil && (in.CloseCurrent || c.State == sdk.StateClosed) {
			lifecycleIDs = append(lifecycleIDs, c.ID)
		}
	}
	if len(lifecycleIDs) > 0 {
		rows, err := tx.Query(ctx, conversationsChannels, lifecycleIDs)
		if err != nil {
			return nil, err
		}
		var id, ch string
		if _, err := pgx.ForEachRow(rows, []any{&id, &ch}, func() error {
			w.channels[id] = append(w.channels[id], ch)
			return nil
		}); err != nil {
			return nil, err
		}
	}

	out := make([]store.CommitResult, len(ins))
	for i, in := range ins {
		if in.ChatID == 0 {
			out[i].Duplicate = !fresh[i]
			continue
		}
		if !fresh[i] {
			out[i].Duplicate = true
			if c := convs[chatKey(in)]; c != nil {
				out[i].Conversation = *c
			}
			continue
		}
		if err := w.add(in, convs, &out[i]); err != nil {
			return nil, inBatch(ins, in, err)
		}
	}
	if err := w.write(ctx, tx); err != nil {
		return nil, err
	}
	for _, a := range w.answers {
		if a.away != nil {
			if err := queueAway(ctx, tx, a.ConversationID, *a.away, a.at); err != nil {
				return nil, err
			}
			continue
		}
		if _, _, err := insertReply(ctx, tx, "", a.ConversationID, a.Reply, a.at); err != nil {
			return nil, err
		}
	}
	if err := askMenus(ctx, tx, w.menus); err != nil {
		return nil, err
	}
	return out, tx.Commit(ctx)
}

// inBatch names the update err is about when it is one of several (a
// single update's error is named by CommitInbound).
func inBatch(ins []store.Inbound, in store.Inbound, err error) error {
	if len(ins) == 1 {
		return err
	}
	return fmt.Errorf("update %d: %w", in.UpdateID, err)
}

// collect reads the next result of a batch as one column of T.
func collect[T any](br pgx.BatchResults) ([]T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[T])
}

// readConversations adds the rows of lockChats to convs, by chat.
func readConversations(rows pgx.Rows, convs map[store.ChatKey]*store.Conversation) error {
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Conversation, error) { return scanConversation(r) })
	for _, c := range cs {
		convs[c.Key()] = &c
	}
	return err
}

// collectBotUpdates reads the next result of a batch as recordUpdates
// returns it.
func collectBotUpdates(br pgx.BatchResults) ([]botUpdate, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (botUpdate, error) {
		var u botUpdate
		err := r.Scan(&u.bot, &u.id)
		return u, err
	})
}

// collectChatKeys reads the next result of a batch as liveChats returns it.
func collectChatKeys(br pgx.BatchResults) ([]store.ChatKey, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ChatKey, error) {
		var k store.ChatKey
		err := r.Scan(&k.ChatID, &k.Bot, &k.BusinessConnectionID)
		return k, err
	})
}

// chatKey is the key of an update's chat (its Bot already defaulted).
func chatKey(in store.Inbound) store.ChatKey {
	return store.ChatKey{Bot: in.Bot, BusinessConnectionID: in.BusinessConnectionID, ChatID: in.ChatID}
}

// distinctUpdates returns the distinct (bot, id) pairs, sorted.
func distinctUpdates(bots []string, ids []int64) ([]string, []int64) {
	us := make([]botUpdate, len(ids))
	for i := range ids {
		us[i] = botUpdate{bots[i], ids[i]}
	}
	slices.SortFunc(us, func(a, b botUpdate) int {
		if c := strings.Compare(a.bot, b.bot); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	us = slices.Compact(us)
	bots, ids = bots[:0], ids[:0]
	for _, u := range us {
		bots, ids = append(bots, u.bot), append(ids, u.id)
	}
	return bots, ids
}

// distinct returns the distinct values of ss, sorted.
func distinct(ss []string) []string {
	slices.Sort(ss)
	return slices.Compact(ss)
}

// inboundWrites is what a batch writes, worked out update by update.
type inboundWrites struct {
	// created are the conversations the batch creates, in order; changed,
	// those it changes that existed before. Both hold the state after the
	// batch, which is what is written.
	created []*store.Conversation
	changed []*store.Conversation
	touched map[string]bool // ids in created or changed
	// messages (by id, the first of the batch) and their deliveries.
	msgSeen                  map[string]bool
	msgID, msgConv, msgBody  []string
	msgAt                    []time.Time
	delConv, delChan, delMsg []string
	delEditOf                []string
	delAt                    []time.Time
	answers                  []answer
	// numbered: the batch holds the lockNumbers lock, and lastNumber is
	// the highest Number before the batch; a conversation it creates takes
	// the next.
	numbered   bool
	lastNumber int64
	// channels lists the channels of the conversations a close or reopen
	// of the batch tells.
	channels map[string][]string
	// routes are the conversations whose route the batch decided
	// (written after them, by a statement of their own), and menus the
	// menus it asks.
	routes []*store.Conversation
	menus  []menuAsk
}

// menuAsk is a menu to record and ask.
type menuAsk struct {
	id, conv, question string
	chat               int64
	at                 time.Time
}

// routed marks c's route as written.
func (w *inboundWrites) routed(c *store.Conversation) {
	if !slices.Contains(w.routes, c) {
		w.routes = append(w.routes, c)
	}
}

// answer is a host message to queue in a conversation: a welcome, or an
// away message if its throttle lets it go.
type answer struct {
	sdk.Reply
	at   time.Time
	away *store.Away
}

// awayDue records an away message as sent now when the throttle lets it
// go (see store.Away), and reports whether it does. The batch holds the
// conversation's lock, so replicas cannot both send one.
const awayDue = `UPDATE conversations SET away_sent_at = $1
	WHERE id = $2 AND (away_sent_at IS NULL OR away_sent_at <= $3) AND (agent_replied_at IS NULL OR agent_replied_at <= $4)`

// queueAway queues the away message of a, stamped at like the update's
// other rows; only updates outside business hours run it, so intake
// inside hours costs nothing more.
func queueAway(ctx context.Context, tx pgx.Tx, conversationID string, a store.Away, at time.Time) error {
	tag, err := tx.Exec(ctx, awayDue, a.At, conversationID, a.At.Add(-a.Every), a.At.Add(-a.AgentQuiet))
	if err != nil {
		return fmt.Errorf("away message: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	r := a.Reply
	r.ConversationID = conversationID
	_, _, err = insertReply(ctx, tx, "", conversationID, r, at)
	return err
}

func newInboundWrites(n int) *inboundWrites {
	return &inboundWrites{touched: map[string]bool{}, msgSeen: make(map[string]bool, n), channels: map[string][]string{}}
}

// add applies a new update of a chat to its conversation in convs
// (creating it when the chat has none) and queues its messages, and fills
// in res as CommitInbound would answer. The changes are those of a commit
// of the update alone: GREATEST(updated_at, time), a contact replaced when
// the update has one, a start payload when it has one; times are kept to
// microseconds, as PostgreSQL keeps them.
func (w *inboundWrites) add(in store.Inbound, convs map[store.ChatKey]*store.Conversation, res *store.CommitResult) error {
	at := in.Time.Truncate(time.Microsecond).UTC()
	c := convs[chatKey(in)]
	if c != nil && in.CloseCurrent && c.State != sdk.StateClosed {
		*c = lifecycle.Close(*c, lifecycle.TheCustomer, sdk.CloseByCustomer, at)
		w.change(c)
		w.notice(c.ID, lifecycle.ClosedNotice(*c), union(w.channels[c.ID], route.Channels(*c, in)), in.Time)
		closed := *c
		res.Closed = &closed
	}
	var prev *store.Conversation
	if c != nil && c.State == sdk.StateClosed && len(in.Messages) > 0 {
		if in.Policy.Reopens(*c, at) {
			*c = lifecycle.Reopen(*c)
			w.change(c)
			w.notice(c.ID, lifecycle.CustomerReopenedNotice(*c), union(w.channels[c.ID], route.Channels(*c, in)), in.Time)
			res.Reopened = true
		} else {
			prev, c = c, nil
		}
	}
	switch {
	case c == nil:
		if !w.numbered {
			return errMustCreate
		}
		w.lastNumber++
		c = &store.Conversation{ID: ident.Conversation(), Number: w.lastNumber, ChatID: in.ChatID, Contact: cleanContact(in.Contact),
			Bot: in.Bot, BusinessConnectionID: in.BusinessConnectionID,
			StartedAt: at, UpdatedAt: at, State: sdk.StateOpen}
		if in.StartPayload != nil {
			c.StartPayload = cleanText(*in.StartPayload)
		}
		if prev != nil {
			c.PreviousID, c.PreviousNumber = prev.ID, prev.Number
			if in.StartPayload == nil {
				c.StartPayload = prev.StartPayload
			}
			if in.Contact == (sdk.Contact{}) {
				c.Contact = prev.Contact
			}
		}
		convs[chatKey(in)] = c
		w.created = append(w.created, c)
		w.touched[c.ID] = true
		res.Created = true
	default:
		if at.After(c.UpdatedAt) {
			c.UpdatedAt = at
		}
		// An update without a sender (a channel post, a service message)
		// must not wipe the contact we know.
		if in.Contact != (sdk.Contact{}) {
			c.Contact = cleanContact(in.Contact)
		}
		if in.StartPayload != nil {
			c.StartPayload = cleanText(*in.StartPayload)
		}
		w.change(c)
	}
	switch route.Apply(c, in, res.Created) {
	case route.Changed:
		w.routed(c)
	case route.AskMenu:
		w.routed(c)
		w.menus = append(w.menus, menuAsk{id: ident.Rating(), conv: c.ID, chat: c.ChatID, question: in.Routing.Menu.Question, at: in.Time})
	}
	res.Conversation = *c
	channels := route.Channels(*c, in)
	for _, m := range in.Messages {
		if w.msgSeen[m.ID] {
			continue // queued by an earlier update of the batch
		}
		w.msgSeen[m.ID] = true
		body, err := payload.EncodeMessage(m)
		if err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
		w.msgID, w.msgConv, w.msgBody, w.msgAt = append(w.msgID, m.ID), append(w.msgConv, c.ID), append(w.msgBody, string(body)), append(w.msgAt, in.Time)
		for _, ch := range channels {
			w.delConv, w.delChan, w.delMsg = append(w.delConv, c.ID), append(w.delChan, ch), append(w.delMsg, m.ID)
			w.delEditOf, w.delAt = append(w.delEditOf, cleanText(m.EditOf)), append(w.delAt, in.Time)
		}
	}
	if in.Answer != nil {
		a := *in.Answer
		a.ConversationID = c.ID
		w.answers = append(w.answers, answer{Reply: a, at: in.Time})
	}
	if in.Away != nil {
		w.answers = append(w.answers, answer{Reply: sdk.Reply{ConversationID: c.ID}, at: in.Time, away: in.Away})
	}
	return nil
}

// change marks c, existing or created by the batch, as written.
func (w *inboundWrites) change(c *store.Conversation) {
	if !w.touched[c.ID] {
		w.changed = append(w.changed, c)
		w.touched[c.ID] = true
	}
}

// notice queues a host notice in conversation id to channels, in the
// batch's order.
func (w *inboundWrites) notice(id string, n sdk.Notice, channels []string, t time.Time) {
	m := sdk.Message{ID: ident.Notice(), Time: t, Kind: sdk.KindNotice, Text: n.Text, Notice: &n}
	body, err := payload.EncodeMessage(m)
	if err != nil {
		panic(err) // a notice always encodes
	}
	w.msgSeen[m.ID] = true
	w.msgID, w.msgConv, w.msgBody, w.msgAt = append(w.msgID, m.ID), append(w.msgConv, id), append(w.msgBody, string(body)), append(w.msgAt, t)
	for _, ch := range channels {
		w.delConv, w.delChan, w.delMsg = append(w.delConv, id), append(w.delChan, ch), append(w.delMsg, m.ID)
		w.delEditOf, w.delAt = append(w.delEditOf, ""), append(w.delAt, t)
	}
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

// conversationArrays are the arguments of createConversations (created)
// or updateConversations for cs, one array per column.
func conversationArrays(cs []*store.Conversation, created bool) []any {
	n := len(cs)
	ids, chats, users := make([]string, n), make([]int64, n), make([]int64, n)
	first, last, user, lang, photo, start := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	started, updated := make([]time.Time, n), make([]time.Time, n)
	state, claimedBy, closedBy, reason := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	closedAt, prevID, prevNumber, number := make([]*time.Time, n), make([]string, n), make([]int64, n), make([]int64, n)
	bots, conns := make([]string, n), make([]string, n)
	for i, c := range cs {
		ids[i], chats[i], users[i] = c.ID, c.ChatID, c.Contact.TelegramUserID
		first[i], last[i], user[i], lang[i], photo[i] = c.Contact.FirstName, c.Contact.LastName, c.Contact.Username, c.Contact.LanguageCode, c.Contact.PhotoURL
		start[i], started[i], updated[i] = c.StartPayload, c.StartedAt, c.UpdatedAt
		state[i], claimedBy[i], closedBy[i], reason[i] = string(c.State), cleanText(c.ClaimedBy), cleanText(c.ClosedBy), c.CloseReason
		if state[i] == "" {
			state[i] = string(sdk.StateOpen)
		}
		if !c.ClosedAt.IsZero() {
			t := c.ClosedAt
			closedAt[i] = &t
		}
		prevID[i], prevNumber[i], number[i] = c.PreviousID, c.PreviousNumber, c.Number
		bots[i], conns[i] = c.Bot, c.BusinessConnectionID
	}
	if created {
		return []any{ids, chats, users, first, last, user, lang, photo, start, started, updated,
			state, claimedBy, closedBy, reason, closedAt, prevID, prevNumber, number, bots, conns}
	}
	return []any{ids, users, first, last, user, lang, photo, start, updated, state, claimedBy, closedBy, reason, closedAt}
}

// cleanContact makes a contact's texts storable (cleanText).
func cleanContact(ct sdk.Contact) sdk.Contact {
	return sdk.Contact{TelegramUserID: ct.TelegramUserID, FirstName: cleanText(ct.FirstName), LastName: cleanText(ct.LastName),
		Username: cleanText(ct.Username), LanguageCode: cleanText(ct.LanguageCode), PhotoURL: cleanText(ct.PhotoURL)}
}

// write sends the batch's writes in one round trip.
func (w *inboundWrites) write(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	if len(w.created) > 0 {
		b.Queue(createConversations, conversationArrays(w.created, true)...)
	}
	if len(w.changed) > 0 {
		b.Queue(updateConversations, conversationArrays(w.changed, false)...)
	}
	if len(w.routes) > 0 {
		ids, routes := make([]string, len(w.routes)), make([]string, len(w.routes))
		for i, c := range w.routes {
			ids[i], routes[i] = c.ID, route.Encode(c.RouteState, c.Route)
		}
		b.Queue(`UPDATE conversations c SET route = u.route FROM unnest($1::text[], $2::text[]) AS u (id, route) WHERE c.id = u.id`, ids, routes)
	}
	if len(w.msgID) > 0 {
		b.Queue(insertMessages, w.msgID, w.msgConv, w.msgBody, w.msgAt, w.delConv, w.delChan, w.delMsg, w.delEditOf, w.delAt)
	}
	if b.Len() == 0 {
		return nil
	}
	// Close reads every statement's result, returning the first error.
	return tx.SendBatch(ctx, b).Close()
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
		SELECT $1, ch, $3, NULLIF($4, ''), LEAST($5::timestamptz, now()), $5, $5 FROM unnest($2::text[]) WITH ORDINALITY AS c (ch, n) ORDER BY n`,
		conversationID, channels, m.ID, cleanText(m.EditOf), now)
	if err != nil {
		return fmt.Errorf("queueing message %s: %w", m.ID, err)
	}
	return nil
}

// TelegramOffset is one past the bot's highest committed update id, 0
// when none.
func (s *Store) TelegramOffset(ctx context.Context, bot string) (int64, error) {
	var off int64
	bot = store.BotOr(cleanText(bot))
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(update_id) + 1, 0) FROM processed_updates WHERE bot = $1`, bot).Scan(&off); err != nil {
		return 0, fmt.Errorf("reading the telegram offset of bot %s: %w", bot, err)
	}
	return off, nil
}

// EnqueueNotice stores a host notice as a message of the conversation and
// queues it to the channels, behind what the lanes already hold.
func (s *Store) EnqueueNotice(ctx context.Context, conversationID string, n sdk.Notice, channels []string) error {
	now := s.clock()
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
