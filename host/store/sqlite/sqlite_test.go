package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/storetest"
	"github.com/parley-dev/parley/sdk"
)

func openTemp(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTemp(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestSecondProcessIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	openTemp(t, path)
	for _, dsn := range []string{path, "file:" + path + "?cache=private"} {
		_, err := Open(t.Context(), dsn, Options{})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open(%q): got %v, want ErrLocked", dsn, err)
		}
		for _, want := range []string{"another parley is using " + path, "use PostgreSQL"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "data dir", "parley?.db")
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.CommitInbound(ctx, store.Inbound{UpdateID: 41, ChatID: 5, Channels: []string{"slack"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hi"}, {ID: "m2", Kind: sdk.KindText, Text: "there"}}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.Secret(ctx, "k", func() ([]byte, error) { return []byte("s3cret"), nil })
	if err != nil {
		t.Fatal(err)
	}
	// The process dies holding m1's lease for an hour.
	if ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "old-process", Limit: 10, Lease: time.Hour}); err != nil || len(ds) != 1 {
		t.Fatalf("claim: %v, %v", ds, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTemp(t, path)
	if off, err := s.TelegramOffset(ctx, store.DefaultBot); err != nil || off != 42 {
		t.Errorf("offset after reopen: %d, %v", off, err)
	}
	if c, err := s.ConversationByChat(ctx, 5); err != nil || c.ID != res.Conversation.ID {
		t.Errorf("conversation after reopen: %+v, %v", c, err)
	}
	if v, err := s.Secret(ctx, "k", func() ([]byte, error) { return []byte("new"), nil }); err != nil || string(v) != string(secret) {
		t.Errorf("secret after reopen: %q, %v", v, err)
	}
	// The file lock proves the old process is gone: its lease is released
	// at once instead of in an hour.
	ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "new-process", Limit: 10, Lease: time.Minute})
	if err != nil || len(ds) != 1 || ds[0].Message.ID != "m1" {
		t.Fatalf("claim after reopen: %v, %v; want m1 again", ds, err)
	}
	wantErr(t, s.CompleteDelivery(ctx, ds[0].ID, "old-process", nil, ""), store.ErrLeaseLost)
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s := openTemp(t, path)
	want, err := schemaVersion(t.Context(), s.write)
	if err != nil {
		t.Fatal(err)
	}
	if want < 1 {
		t.Fatalf("schema version %d after Open", want)
	}
	if err := migrate(t.Context(), s.write, s.log); err != nil {
		t.Fatalf("migrating an up-to-date database: %v", err)
	}
	if _, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: 1, ChatID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTemp(t, path)
	if got, err := schemaVersion(t.Context(), s.write); err != nil || got != want {
		t.Errorf("schema version after reopen: %d, %v; want %d", got, err, want)
	}
	if off, _ := s.TelegramOffset(t.Context(), store.DefaultBot); off != 2 {
		t.Errorf("data lost across a reopen: offset %d", off)
	}
}

func TestDSN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		dsn     string
		wantErr string
	}{
		{dsn: filepath.Join(dir, "a.db")},
		{dsn: "file:" + filepath.Join(dir, "b.db")},
		{dsn: "file://" + filepath.Join(dir, "c.db") + "?cache=private"},
		{dsn: "", wantErr: "path is required"},
		{dsn: ":memory:", wantErr: "path is required"},
		{dsn: "file:x?mode=memory", wantErr: "in-memory"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			s, err := Open(t.Context(), tt.dsn, Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) = %v, want an error saying %q", tt.dsn, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var mode, sync string
			var fk int
			if err := s.write.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := s.write.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if err := s.read.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || sync != "1" || fk != 1 {
				t.Errorf("journal_mode=%s synchronous=%s foreign_keys=%d, want wal, 1 (NORMAL), 1", mode, sync, fk)
			}
			if _, err := s.read.Exec(`DELETE FROM secrets`); err == nil {
				t.Error("the read pool accepted a write")
			}
		})
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("got %v, want %v", err, target)
	}
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

// schemaVersion is the newest migration applied.
func schemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := migrator(db)
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

func TestAttachBesideARunningHost(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "parley.db")
	host := openTemp(t, path)
	if _, err := host.CommitInbound(ctx, store.Inbound{UpdateID: 1, ChatID: 1, Channels: []string{"slack"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hi"}, {ID: "m2", Kind: sdk.KindText, Text: "again"}}}); err != nil {
		t.Fatal(err)
	}
	claim := func(owner string) []store.Delivery {
		ds, err := host.ClaimDeliveries(ctx, store.ClaimOptions{Owner: owner, Limit: 10, Lease: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	ds := claim("host")
	if err := host.FailDelivery(ctx, ds[0].ID, "host", "rejected"); err != nil {
		t.Fatal(err)
	}
	m2 := claim("host") // in flight while the operator looks

	tool, err := Open(ctx, path, Options{Attach: true})
	if err != nil {
		t.Fatalf("attaching beside a running host: %v", err)
	}
	rows, err := tool.Queue(ctx, 10, store.StateFailed)
	if err != nil || len(rows) != 1 || rows[0].MessageID != "m1" {
		t.Fatalf("the tool lists %+v, %v", rows, err)
	}
	if err := tool.RetryNow(ctx, "delivery", rows[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := tool.Close(); err != nil {
		t.Fatal(err)
	}

	// The host keeps its lock and its lease, and sees the retried row.
	if _, err := Open(ctx, path, Options{}); !errors.Is(err, ErrLocked) {
		t.Errorf("after the tool closed a second host opened: %v", err)
	}
	wantErr(t, host.CompleteDelivery(ctx, m2[0].ID, "host", nil, ""), nil)
	if ds := claim("host"); len(ds) != 1 || ds[0].Message.ID != "m1" {
		t.Errorf("after the retry the host claimed %v", ds)
	}

	if _, err := Open(ctx, filepath.Join(t.TempDir(), "missing.db"), Options{Attach: true}); err == nil {
		t.Error("attaching to a missing database succeeded")
	}
	// A database no host has migrated yet is not the tool's to change.
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, empty, Options{Attach: true}); err == nil || !strings.Contains(err.Error(), "start parley once") {
		t.Errorf("attaching to an unmigrated database: %v", err)
	}
}
