package dispatch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// Telegram Business: a conversation in a Business chat is delivered with
// its account (Conversation.Business), and its replies leave through the
// connection, checked first: a disabled connection, or one without the
// right to reply, fails the reply for good with a notice saying why.
// After a reply the customer's messages are marked read when the
// connection allows it.

// BusinessTelegram is a Telegram that sends through Business connections.
type BusinessTelegram interface {
	// ThroughBusiness returns ctx under which SendReply, EditReply and
	// AskRating go through the Business connection id.
	ThroughBusiness(ctx context.Context, id string) context.Context
	// ReadBusinessMessage marks a customer's message read on behalf of
	// the account.
	ReadBusinessMessage(ctx context.Context, connectionID string, chatID, messageID int64) error
}

// businessConnectionID is the Business connection a conversation's chat is
// reached through, "" outside Business.
func businessConnectionID(c store.Conversation) string {
	return c.BusinessConnectionID
}

// accountTTL is how long a connection's account is kept for deliveries:
// only the owner's names and ids are taken from it, which change rarely.
const accountTTL = time.Minute

// accounts caches Business connections for deliveries, so a Business
// conversation's messages do not each cost a store read.
type accounts struct {
	mu sync.Mutex
	m  map[string]cachedAccount
}

type cachedAccount struct {
	c  store.BusinessConnection
	at time.Time
}

// business is the Conversation.Business of a delivery, nil outside
// Business. A connection the store does not know (yet) still names its id.
func (d *Dispatcher) business(ctx context.Context, c store.Conversation) *sdk.Business {
	id := businessConnectionID(c)
	if id == "" {
		return nil
	}
	b := &sdk.Business{ConnectionID: id}
	conn, ok := d.connection(ctx, id, false)
	if ok {
		b.Account = sdk.BusinessAccount{ID: conn.UserID, Username: conn.Username, Name: conn.Name()}
	}
	return b
}

// connection reads a Business connection, through the cache unless fresh.
func (d *Dispatcher) connection(ctx context.Context, id string, fresh bool) (store.BusinessConnection, bool) {
	now := time.Now()
	d.accounts.mu.Lock()
	e, ok := d.accounts.m[id]
	d.accounts.mu.Unlock()
	if ok && !fresh && now.Sub(e.at) < accountTTL {
		return e.c, true
	}
	c, err := d.store.BusinessConnection(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			d.log.Warn("reading a Business connection failed", "business_connection", id, "error", err)
		}
		return store.BusinessConnection{}, false
	}
	d.accounts.mu.Lock()
	if d.accounts.m == nil {
		d.accounts.m = map[string]cachedAccount{}
	}
	d.accounts.m[id] = cachedAccount{c: c, at: now}
	d.accounts.mu.Unlock()
	return c, true
}

// throughBusiness prepares a reply of a Business conversation: it returns
// the context to send under, or false after failing the reply for good
// (with a business_connection notice to every channel) when the
// connection cannot carry it.
func (d *Dispatcher) throughBusiness(ctx context.Context, out store.OutgoingReply) (context.Context, bool) {
	id := businessConnectionID(out.Conversation)
	if id == "" {
		return ctx, true
	}
	tg, _ := d.telegramOf(out.Conversation.Bot)
	bt, ok := tg.(BusinessTelegram)
	if !ok {
		d.failReply(ctx, out, sdk.Permanent(errors.New("this host cannot send through Telegram Business connections")))
		return ctx, false
	}
	conn, known := d.connection(ctx, id, true)
	if known {
		if problem := conn.Problem(); problem != "" {
			d.log.Warn("a reply cannot go through its Business connection", "conversation", out.Conversation.ID,
				"business_connection", id, "enabled", conn.Enabled, "rights", conn.Rights)
			d.failReply(ctx, out, sdk.Permanent(errors.New(problem)))
			d.notice(ctx, out, sdk.Notice{
				Code: sdk.NoticeBusinessConnection, Text: "This reply could not be sent: " + problem,
				ReplyExternalID: out.Reply.ExternalID,
			}, true)
			return ctx, false
		}
	}
	return bt.ThroughBusiness(ctx, id), true
}

// markRead marks the customer's latest message read after a reply in a
// Business chat, when the connection has can_read_messages. A courtesy:
// failures are logged, never retried.
func (d *Dispatcher) markRead(ctx context.Context, out store.OutgoingReply) {
	id := businessConnectionID(out.Conversation)
	if id == "" || out.Channel == "" {
		return
	}
	tg, _ := d.telegramOf(out.Conversation.Bot)
	bt, ok := tg.(BusinessTelegram)
	if !ok {
		return
	}
	conn, known := d.connection(ctx, id, false)
	if !known || !conn.Enabled || !conn.Can(store.RightReadMessages) {
		return
	}
	msgID, err := d.store.LastCustomerMessage(ctx, out.Conversation.ID)
	if err != nil || msgID == 0 {
		return
	}
	if err := bt.ReadBusinessMessage(ctx, id, out.Conversation.ChatID, msgID); err != nil {
		d.log.Info("marking the customer's messages read failed", "conversation", out.Conversation.ID, "error", err)
	}
}
