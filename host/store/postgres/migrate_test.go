package postgres

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// A database of the schema before delivery_heads (migrations 1 and 2),
// holding an outbox in every state, migrates: delivery_heads names each
// lane's oldest pending row, rows not yet done learn the message they edit
// (payloads with NUL and backslashes included), and the claims carry on
// where they stood, a lease taken before the migration included.
func TestMigrateToDeliveryHeads(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}

	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	msg := func(id, text, editOf string) string {
		b, err := payload.EncodeMessage(sdk.Message{ID: id, Kind: sdk.KindText, Text: text, EditOf: editOf, Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for i, c := range []string{"c1", "c2", "c3"} {
		if _, err := conn.Exec(ctx, `INSERT INTO conversations (id, number, chat_id, started_at, updated_at) VALUES ($1, $2, $2, $3, $3)`,
			c, i+1, at); err != nil {
			t.Fatal(err)
		}
	}
	// Rows in id order: conversation, channel, message (id, text, edit of),
	// state, lease owner, desk id.
	type row struct {
		conv, channel, id, text, editOf, state, owner, desk string
	}
	rows := []row{
		{"c1", "slack", "m1", "first", "", "done", "", "desk-m1"},
		{"c1", "slack", "m2", "in flight", "", "pending", "old-worker", ""},
		{"c1", "slack", "m3", "queued", "", "pending", "", ""},
		{"c1", "slack", "m4", "fixed\x00 with \\u0000 and \\", "m1", "pending", "", ""},
		{"c1", "helpscout", "m1", "first", "", "failed", "", ""},
		{"c1", "helpscout", "m2", "in flight", "", "pending", "", ""},
		{"c2", "slack", "m5", "old", "", "done", "", "desk-m5"},
		{"c2", "slack", "m6", "edit, delivered", "m5", "done", "", "desk-m6"},
		{"c3", "slack", "m7", "gave up on", `m\7`, "failed", "", ""},
	}
	stored := map[string]bool{}
	for _, r := range rows {
		if !stored[r.id] {
			stored[r.id] = true
			if _, err := conn.Exec(ctx, `INSERT INTO messages (id, conversation_id, payload, created_at) VALUES ($1, $2, $3, $4)`,
				r.id, r.conv, msg(r.id, r.text, r.editOf), at); err != nil {
				t.Fatal(err)
			}
		}
		var owner, until any
		if r.owner != "" {
			owner, until = r.owner, time.Now().Add(time.Hour)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO deliveries (conversation_id, channel, message_id, state, next_attempt_at,
			lease_owner, lease_until, desk_message_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5, $5)`,
			r.conv, r.channel, r.id, r.state, at, owner, until, r.desk); err != nil {
			t.Fatal(err)
		}
	}

	s := open(t, dsn, Options{})
	checkHeads(t, s, "after the migration")
	heads := queryStrings(t, s, `SELECT h.conversation_id || '/' || h.channel || ' ' || d.message_id
		FROM delivery_heads h JOIN deliveries d ON d.id = h.head_id ORDER BY h.head_id`)
	mustMatch(t, heads, []string{"c1/slack m2", "c1/helpscout m2"}, "heads after the migration")
	// m6 is done: it is never claimed again, so it was left alone.
	edits := queryStrings(t, s, `SELECT message_id || '/' || channel || ' ' || edit_of FROM deliveries WHERE edit_of IS NOT NULL ORDER BY id`)
	mustMatch(t, edits, []string{"m4/slack m1", `m7/slack m\7`}, "edits found in the payloads")
	var options []string
	var oldIndex bool
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(reloptions, '{}'), to_regclass('deliveries_pending') IS NOT NULL
		FROM pg_class WHERE oid = 'deliveries'::regclass`).Scan(&options, &oldIndex); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(options, "fillfactor=50") || oldIndex {
		t.Errorf("deliveries options %v, deliveries_pending still there: %t", options, oldIndex)
	}
	if def := queryStrings(t, s, `SELECT indexdef FROM pg_indexes WHERE indexname = 'deliveries_state'`); len(def) != 1 ||
		!strings.Contains(def[0], "WHERE (state <> 'pending'") {
		t.Errorf("deliveries_state is %q, want it to leave pending rows out", def)
	}

	// The lease taken before the migration still holds its lane.
	claim := func(want ...string) []store.Delivery {
		t.Helper()
		ds, err := s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: "new-worker", Limit: 10, Lease: time.Minute}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.Message.ID+"/"+d.Channel)
		}
		mustMatch(t, got, want, "claimed")
		return ds
	}
	ds := claim("m2/helpscout")
	if err := s.CompleteDelivery(ctx, ds[0].ID, "new-worker", nil, "desk"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteDelivery(ctx, deliveryID(t, s, "m2", "slack"), "old-worker", []byte("thread"), "desk-m2"); err != nil {
		t.Fatalf("the worker leasing m2 before the migration completing it: %v", err)
	}
	ds = claim("m3/slack", "m4/slack")
	if ds[1].Message.Text != rows[3].text || ds[1].EditOfDeskMessageID != "desk-m1" {
		t.Errorf("the edit claimed as %q editing desk message %q", ds[1].Message.Text, ds[1].EditOfDeskMessageID)
	}
	// A failed row put back goes to the head of its lane.
	if err := s.RetryNow(ctx, "delivery", deliveryID(t, s, "m1", "helpscout")); err != nil {
		t.Fatal(err)
	}
	claim("m1/helpscout")
	checkHeads(t, s, "after the claims")
}

func queryStrings(t *testing.T, s *Store, sql string) []string {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), sql)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func deliveryID(t *testing.T, s *Store, message, channel string) int64 {
	t.Helper()
	var id int64
	if err := s.pool.QueryRow(t.Context(), `SELECT id FROM deliveries WHERE message_id = $1 AND channel = $2`, message, channel).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func mustMatch(t *testing.T, got, want []string, what string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: %q, want %q", what, got, want)
	}
}
