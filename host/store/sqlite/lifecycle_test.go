package sqlite

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
	_ "modernc.org/sqlite"
)

// A database of the schema before lifecycles (migrations 1 to 4), with a
// conversation, its message, delivery, thread and reply, migrates: the
// table rebuild keeps every row and every foreign key, the conversation is
// open, and a second conversation of the same chat can start after a close.
func TestMigrateToLifecycle(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO conversations (id, number, chat_id, first_name, started_at, updated_at) VALUES ('c1', 7, 42, 'Ann', 1, 2)`,
		`INSERT INTO messages (id, conversation_id, payload, created_at) VALUES ('m1', 'c1', '{"id":"m1","time":"2024-01-01T00:00:00Z","kind":"text","text":"hi"}', 1)`,
		`INSERT INTO deliveries (conversation_id, channel, message_id, state, next_attempt_at, created_at, updated_at) VALUES ('c1', 'slack', 'm1', 'done', 1, 1, 1)`,
		`INSERT INTO lanes (conversation_id, channel, thread_ref, updated_at) VALUES ('c1', 'slack', X'5431', 1)`,
		`INSERT INTO replies (channel, external_id, conversation_id, payload, next_attempt_at, created_at, updated_at) VALUES ('slack', 'r1', 'c1', '{"external_id":"r1","text":"yo"}', 1, 1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openTemp(t, path)
	c, err := s.Conversation(ctx, "c1")
	if err != nil || c.Number != 7 || c.ChatID != 42 || c.Contact.FirstName != "Ann" || c.State != sdk.StateOpen {
		t.Fatalf("after the migration: %+v, %v", c, err)
	}
	var fk int
	if err := s.write.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign keys are not enforced (%d, %v): the migration was not tested with them", fk, err)
	}
	rows, err := s.write.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign keys broken by the migration")
	}
	rows.Close()
	res, err := s.CommitReplies(ctx, "slack", []sdk.Reply{{ThreadRef: []byte("T1"), ExternalID: "r2", Text: "still routes"}})
	if err != nil || res[0].ConversationID != "c1" {
		t.Fatalf("a reply to the old thread: %+v, %v", res, err)
	}
	if _, err := s.ApplyAction(ctx, "slack", sdk.Action{Kind: sdk.ActionClose, ThreadRef: []byte("T1"), ExternalID: "a1"}); err != nil {
		t.Fatal(err)
	}
	next, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 9, ChatID: 42, Messages: []sdk.Message{{ID: "m2", Kind: sdk.KindText, Text: "new"}}, Channels: []string{"slack"}})
	if err != nil || !next.Created || next.Conversation.Number != 8 || next.Conversation.PreviousID != "c1" {
		t.Fatalf("a message after the close: %+v, %v", next, err)
	}
}
