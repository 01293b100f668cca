package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// A conversation stored before business hours (migrations 1 to 5) gets
// its first away message after the migration, and an agent's reply then
// holds the next one back.
func TestMigrateToHours(t *testing.T) {
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
	if _, err := db.ExecContext(ctx, `INSERT INTO conversations (id, number, chat_id, first_name, started_at, updated_at, first_reply_at)
		VALUES ('c1', 7, 42, 'Ann', now(), now(), now())`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, dsn, Options{})
	now := time.Now()
	commit := func(update int64) {
		t.Helper()
		_, err := s.CommitInbound(ctx, store.Inbound{UpdateID: update, ChatID: 42, Channels: []string{"slack"},
			Messages: []sdk.Message{{ID: string(rune('a' + update)), Kind: sdk.KindText, Text: "hi", OutsideHours: true}},
			Away:     &store.Away{Reply: sdk.Reply{ExternalID: string(rune('A' + update)), Text: "away"}, At: now, Every: time.Second, AgentQuiet: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
	}
	commit(1)
	if _, err := s.CommitReplies(ctx, "slack", []sdk.Reply{{ConversationID: "c1", ExternalID: "r1", Text: "here"}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	commit(2)
	rows, err := s.Queue(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var away []string
	for _, r := range rows {
		if r.Kind == "reply" && r.Channel == "" {
			away = append(away, r.MessageID)
		}
	}
	if len(away) != 1 || away[0] != "B" {
		t.Errorf("away messages %v, want the first update's only", away)
	}
}
