package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// A database of the schema before lifecycles (migrations 1 to 4) with a
// conversation migrates: the conversation is open, keeps its number, and
// after a close the same chat can have a second conversation (chat_id is
// unique only among conversations not closed).
func TestMigrateToLifecycle(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := db.ExecContext(ctx, `INSERT INTO conversations (id, number, chat_id, first_name, started_at, updated_at) VALUES ('c1', 7, 42, 'Ann', $1, $1)`, at); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, dsn, Options{})
	c, err := s.Conversation(ctx, "c1")
	if err != nil || c.Number != 7 || c.State != sdk.StateOpen || c.Contact.FirstName != "Ann" {
		t.Fatalf("after the migration: %+v, %v", c, err)
	}
	if _, err := s.CloseConversation(ctx, "c1", store.Closing{Reason: sdk.CloseByOperator, By: "an operator"}); err != nil {
		t.Fatal(err)
	}
	next, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 9, ChatID: 42, Messages: []sdk.Message{{ID: "m2", Kind: sdk.KindText, Text: "new"}}, Channels: []string{"slack"}})
	if err != nil || !next.Created || next.Conversation.Number != 8 || next.Conversation.PreviousID != "c1" {
		t.Fatalf("a message after the close: %+v, %v", next, err)
	}
	// A second live conversation of the chat is refused by the schema.
	_, err = s.pool.Exec(ctx, `INSERT INTO conversations (id, number, chat_id, started_at, updated_at) VALUES ('c3', 9, 42, now(), now())`)
	if err == nil {
		t.Fatal("two open conversations of one chat were stored")
	}
}
