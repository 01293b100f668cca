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

// A database of the schema before several bots (migrations 1 to 5), with a
// live conversation and committed updates, migrates: both belong to the
// default bot, so its next message joins the conversation, a redelivered
// update stays a duplicate and the offset carries on; another bot's chat
// of the same id starts a conversation of its own.
func TestMigrateToBots(t *testing.T) {
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
		`INSERT INTO processed_updates (update_id, processed_at) VALUES (99, 1), (100, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openTemp(t, path)
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
}
