package inbound

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/sdk"
)

// Telegram Business at intake: a business_connection update is stored
// (connect, change, disconnect; counted), a business message for a
// connection the host has not seen fetches it first (getBusinessConnection)
// so the conversation can name its account, and a deleted Business message
// becomes a message_deleted notice quoting what Parley kept of it.

// BusinessObserver counts Business connection changes (metrics).
type BusinessObserver interface {
	// BusinessConnection counts "connected", "disconnected" or "changed".
	BusinessConnection(event string)
}

// businessCache remembers the connections known to be stored, so only a
// connection's first message costs a store read.
type businessCache struct{ known sync.Map }

// StoredConnection converts a connection as Telegram describes it into
// the store's record.
func StoredConnection(c normalize.BusinessConnection, now time.Time) store.BusinessConnection {
	return store.BusinessConnection{
		ID: c.ID, UserID: c.User.ID, Username: c.User.Username, FirstName: c.User.FirstName, LastName: c.User.LastName,
		UserChatID: c.UserChatID, Rights: c.Rights(), Enabled: c.IsEnabled, Date: time.Unix(c.Date, 0).UTC(),
		UpdatedAt: now,
	}
}

// saveConnection stores a business_connection update's connection, logs
// and counts what changed.
func (h *Handler) saveConnection(ctx context.Context, c normalize.BusinessConnection) error {
	rec := StoredConnection(c, time.Now())
	prev, found, err := h.Store.SaveBusinessConnection(ctx, rec)
	if err != nil {
		return err
	}
	h.business.known.Store(rec.ID, struct{}{})
	event := ""
	switch {
	case rec.Enabled && (!found || !prev.Enabled):
		event = "connected"
	case !rec.Enabled && (!found || prev.Enabled):
		event = "disconnected"
	case found && !sameRights(prev.Rights, rec.Rights):
		event = "changed"
	}
	if event == "" {
		return nil
	}
	h.Log.Info("Telegram Business connection "+event, "business_connection", rec.ID, "account_user_id", rec.UserID,
		"account", rec.Name(), "enabled", rec.Enabled, "rights", rec.Rights)
	if h.Business != nil {
		h.Business.BusinessConnection(event)
	}
	return nil
}

func sameRights(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ensureConnection makes sure a Business chat's connection is stored:
// one the host missed the business_connection of is fetched from Telegram
// and stored. A failure is logged, never an intake stall: the message is
// kept, and its conversation names no account until the connection is
// known.
func (h *Handler) ensureConnection(ctx context.Context, id string) {
	if _, ok := h.business.known.Load(id); ok {
		return
	}
	_, err := h.Store.BusinessConnection(ctx, id)
	if err == nil {
		h.business.known.Store(id, struct{}{})
		return
	}
	if !errors.Is(err, store.ErrNotFound) {
		h.Log.Warn("reading a Business connection failed", "business_connection", id, "error", err)
		return
	}
	if h.FetchBusiness == nil {
		h.Log.Warn("a Business message for a connection the host has not seen", "business_connection", id)
		return
	}
	fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := h.FetchBusiness(fctx, id)
	if err != nil {
		h.Log.Warn("a Business message for a connection the host has not seen, and getBusinessConnection failed; the message is kept",
			"business_connection", id, "error", err)
		return
	}
	h.Log.Info("fetched a Business connection the host had not seen", "business_connection", id)
	if err := h.saveConnection(ctx, c); err != nil {
		h.Log.Warn("storing a fetched Business connection failed", "business_connection", id, "error", err)
	}
}

// deletedNotices turns deleted Business messages into notices, one per
// message Parley has (the bot's own replies and messages it never stored
// are not the customer's to tell about).
func (h *Handler) deletedNotices(ctx context.Context, d *normalize.BusinessDeleted, at time.Time) ([]sdk.Message, error) {
	texts, err := h.Store.MessageTexts(ctx, d.MessageIDs)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = time.Now().UTC() // Telegram does not say when
	}
	var out []sdk.Message
	for _, id := range d.MessageIDs {
		if text, ok := texts[id]; ok {
			out = append(out, normalize.DeletedNotice(id, text, at))
		}
	}
	return out, nil
}
