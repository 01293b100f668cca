package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parley-dev/parley/host/store"
)

// A database of the schema before reactions (migrations 1 to 5) with a
// conversation and an agent reply already sent migrates: the photo is not
// looked up yet, and a customer's reaction on the old reply finds it.
func TestMigrateToReactions(t *testing.T) {
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
		`INSERT INTO replies (channel, external_id, conversation_id, payload, state, next_attempt_at, telegram_message_ids, created_at, updated_at)
			VALUES ('slack', 'r1', 'c1', '{"external_id":"r1","text":"yo"}', 'done', $1, '[500,501]', $1, $1)`,
		`INSERT INTO replies (channel, external_id, conversation_id, payload, state, next_attempt_at, telegram_message_ids, created_at, updated_at)
			VALUES ('', 'welcome:1', 'c1', '{"external_id":"welcome:1","text":"hi"}', 'done', $1, '[499]', $1, $1)`,
	} {
		if _, err := db.ExecContext(ctx, q, at); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, dsn, Options{})
	c, err := s.Conversation(ctx, "c1")
	if err != nil || c.PhotoRef != "" || c.Contact.FirstName != "Ann" {
		t.Fatalf("after the migration: %+v, %v", c, err)
	}
	for msg, known := range map[int64]bool{500: true, 501: true, 499: false} {
		res, err := s.CommitReaction(ctx, store.ReactionUpdate{UpdateID: 10 + msg, ChatID: 42, MessageID: msg, Added: []string{"👍"}})
		if err != nil || res.Known != known {
			t.Errorf("a reaction on message %d: %+v, %v; want known %v", msg, res, err, known)
		}
	}
}
