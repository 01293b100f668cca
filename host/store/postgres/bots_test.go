package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// A database of the schema before several bots (migrations 1 to 5), with a
// live conversation and committed updates, migrates: both belong to the
// default bot, so its next message joins the conversation, a redelivered
// update stays a duplicate and the offset carries on; another bot's chat
// of the same id starts a conversation of its own.
func TestMigrateToBots(t *testing.T) {
	dsn := newDatabase(t)
	ctx := t.Context()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	p, err := migrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO conversations (id, number, chat_id, first_name, started_at, updated_at) VALUES ('c1', 7, 42, 'Ann', $1, $1)`,
		`INSERT INTO processed_updates (update_id, processed_at) VALUES (99, $1), (100, $1)`,
	} {
		if _, err := db.ExecContext(ctx, q, at); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, dsn, Options{})
	c, err := s.Conversation(ctx, "c1")
	if err != nil || c.Bot != store.DefaultBot || c.BusinessConnectionID != "" {
		t.Fatalf("after the migration: %+v, %v", c, err)
	}
	if off, err := s.TelegramOffset(ctx, store.DefaultBot); err != nil || off != 101 {
		t.Fatalf("the default bot's offset: %d, %v; want 101", off, err)
	}
	msg := []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hi"}}
	if dup, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 100, ChatID: 42, Messages: msg, Channels: []string{"slack"}}); err != nil || !dup.Duplicate {
		t.Fatalf("update 100 again: %+v, %v", dup, err)
	}
	next, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 101, ChatID: 42, Messages: msg, Channels: []string{"slack"}})
	if err != nil || next.Created || next.Conversation.ID != "c1" {
		t.Fatalf("the default bot's next message: %+v, %v", next, err)
	}
	other, err := s.CommitInbound(ctx, store.Inbound{Bot: "shop", UpdateID: 100, ChatID: 42,
		Messages: []sdk.Message{{ID: "m2", Kind: sdk.KindText, Text: "hi shop"}}, Channels: []string{"slack"}})
	if err != nil || !other.Created || other.Conversation.Number != 8 || other.Conversation.Bot != "shop" {
		t.Fatalf("another bot's chat of the same id: %+v, %v", other, err)
	}
	// A second live conversation of a chat of one bot is refused by the schema.
	_, err = s.pool.Exec(ctx, `INSERT INTO conversations (id, number, chat_id, bot, started_at, updated_at) VALUES ('c3', 9, 42, 'shop', now(), now())`)
	if err == nil {
		t.Fatal("two open conversations of one chat of one bot were stored")
	}
}
