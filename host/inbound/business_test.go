package inbound

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/normalize"
)

// bizStore keeps Business connections in memory over fakeStore.
type bizStore struct {
	fakeStore
	conns map[string]store.BusinessConnection
	texts map[string]string
}

func (b *bizStore) SaveBusinessConnection(_ context.Context, c store.BusinessConnection) (store.BusinessConnection, bool, error) {
	prev, found := b.conns[c.ID]
	b.conns[c.ID] = c
	return prev, found, nil
}

func (b *bizStore) BusinessConnection(_ context.Context, id string) (store.BusinessConnection, error) {
	c, ok := b.conns[id]
	if !ok {
		return c, store.ErrNotFound
	}
	return c, nil
}

func (b *bizStore) MessageTexts(_ context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if t, ok := b.texts[id]; ok {
			out[id] = t
		}
	}
	return out, nil
}

type events []string

func (e *events) BusinessConnection(ev string) { *e = append(*e, ev) }

func connUpdate(enabled bool) string {
	return fmt.Sprintf(`"business_connection":{"id":"conn","user":{"id":5,"is_bot":false,"first_name":"Sam"},"user_chat_id":5,"date":1,"rights":{"can_reply":true},"is_enabled":%v}`, enabled)
}

// A connection is counted when it connects or disconnects, not when
// Telegram sends the same state again; a Business message keys its
// conversation by the connection, fetching one the host never saw; a
// deleted message becomes a notice only when Parley has it.
func TestBusinessIntake(t *testing.T) {
	st := &bizStore{conns: map[string]store.BusinessConnection{}, texts: map[string]string{"tgb:conn:77:3": "where is my parcel"}}
	h, _, _ := newHandler(&st.fakeStore, "")
	h.Store = st
	var ev events
	h.Business = &ev
	fetched := 0
	h.FetchBusiness = func(context.Context, string) (normalize.BusinessConnection, error) {
		fetched++
		return normalize.BusinessConnection{}, fmt.Errorf("unreachable")
	}
	ctx := context.Background()

	// Before any connection update: fetched (failing), the message kept.
	msg := `"business_message":{"message_id":3,"date":1,"business_connection_id":"conn","chat":{"id":77,"type":"private"},"from":{"id":77,"is_bot":false,"first_name":"Cara"},"text":"hi"}`
	if err := h.Handle(ctx, []intake.Update{update(t, 1, msg)}); err != nil {
		t.Fatal(err)
	}
	if fetched != 1 || len(st.commits) != 1 || st.commits[0].BusinessConnectionID != "conn" || st.commits[0].ChatID != 77 {
		t.Fatalf("fetched %d, commits %+v", fetched, st.commits)
	}

	for i, enabled := range []bool{true, true, false, false} {
		if err := h.Handle(ctx, []intake.Update{update(t, int64(10+i), connUpdate(enabled))}); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(ev, events{"connected", "disconnected"}) {
		t.Errorf("events %v, want one connect and one disconnect", ev)
	}

	del := `"deleted_business_messages":{"business_connection_id":"conn","chat":{"id":77,"type":"private"},"message_ids":[3,4]}`
	if err := h.Handle(ctx, []intake.Update{update(t, 20, del)}); err != nil {
		t.Fatal(err)
	}
	last := st.commits[len(st.commits)-1]
	if len(last.Messages) != 1 || last.Messages[0].Notice.MessageID != "tgb:conn:77:3" ||
		last.Messages[0].Text != "The customer deleted a message: where is my parcel" {
		t.Errorf("deleted: %+v", last.Messages)
	}
	if fetched != 1 {
		t.Errorf("fetched %d times, want once (the connection is known now)", fetched)
	}
}
