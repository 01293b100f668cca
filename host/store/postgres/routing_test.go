package postgres

import (
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// A database with conversations from before routing migrates: they have
// no route of their own, so their next messages go to every channel
// intake names, as before.
func TestMigrateToRouting(t *testing.T) {
	dsn := newDatabase(t)
	ctx := t.Context()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
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
		`INSERT INTO messages (id, conversation_id, payload, created_at) VALUES ('m1', 'c1', '{"id":"m1","time":"2024-01-01T00:00:00Z","kind":"text","text":"hi"}', $1)`,
		`INSERT INTO deliveries (conversation_id, channel, message_id, state, next_attempt_at, created_at, updated_at) VALUES ('c1', 'slack', 'm1', 'done', $1, $1, $1)`,
	} {
		if _, err := db.ExecContext(ctx, q, at); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	s := open(t, dsn, Options{})
	c, err := s.Conversation(ctx, "c1")
	if err != nil || c.RouteState != store.RouteDefault || c.Route != nil {
		t.Fatalf("after the migration: %+v, %v", c, err)
	}
	now := time.Now()
	m := sdk.Message{ID: "m2", Kind: sdk.KindText, Text: "again", Time: now}
	if _, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 1, ChatID: 42, Messages: []sdk.Message{m}, Channels: []string{"slack", "helpscout"},
		Routing: &store.Routing{Channels: []string{"helpscout"}}, Time: now}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Minute, Now: now.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Channel+":"+d.Message.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"helpscout:m2", "slack:m2"}) {
		t.Errorf("an old conversation's message went to %v, want every channel", got)
	}
}
