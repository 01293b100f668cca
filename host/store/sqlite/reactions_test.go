package sqlite

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/parley-dev/parley/host/store"
	_ "modernc.org/sqlite"
)

// A database of the schema before reactions (migrations 1 to 5) with a
// conversation and an agent reply already sent migrates: the photo is not
// looked up yet, and a customer's reaction on the old reply finds it.
func TestMigrateToReactions(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "parley.db")
	db, err := sql.Open("sqlite", fileURI(path, url.Values{"_pragma": {"foreign_keys(1)"}}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := migrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO conversations (id, number, chat_id, first_name, started_at, updated_at) VALUES ('c1', 7, 42, 'Ann', 1, 2)`,
		`INSERT INTO lanes (conversation_id, channel, thread_ref, updated_at) VALUES ('c1', 'slack', X'5431', 1)`,
		`INSERT INTO replies (channel, external_id, conversation_id, payload, state, next_attempt_at, telegram_message_ids, created_at, updated_at)
			VALUES ('slack', 'r1', 'c1', '{"external_id":"r1","text":"yo"}', 'done', 1, '[500,501]', 1, 1)`,
		`INSERT INTO replies (channel, external_id, conversation_id, payload, state, next_attempt_at, telegram_message_ids, created_at, updated_at)
			VALUES ('', 'welcome:1', 'c1', '{"external_id":"welcome:1","text":"hi"}', 'done', 1, '[499]', 1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openTemp(t, path)
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
