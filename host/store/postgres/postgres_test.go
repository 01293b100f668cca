package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/storetest"
)

// envDSN names the server the tests create their databases on.
const envDSN = "PARLEY_TEST_POSTGRES_DSN"

// serverDSN is the test server's DSN, or skips the test without one.
func serverDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		t.Skip("set " + envDSN + "=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run the PostgreSQL store tests")
	}
	return dsn
}

// withParam returns dsn with a connection parameter set, in either DSN
// form (a later keyword overrides an earlier one).
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", envDSN, err)
		}
		if key == "dbname" {
			u.Path = "/" + value
		} else {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// exec runs statements on a direct connection to dsn.
func exec(t *testing.T, dsn string, statements ...string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context()) // also used from Cleanup, after t.Context ends
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// newDatabase creates an empty, uniquely named database on the test
// server, dropped when the test ends, and returns its DSN.
func newDatabase(t *testing.T) string {
	t.Helper()
	server := serverDSN(t)
	name := uniqueName("parley_test_")
	exec(t, server, `CREATE DATABASE `+name)
	t.Cleanup(func() { exec(t, server, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	return withParam(t, server, "dbname", name)
}

// newSchema creates an empty schema in the database at dsn and returns a
// DSN whose connections use it: cheaper than a database per subtest.
func newSchema(t *testing.T, dsn string) string {
	t.Helper()
	name := uniqueName("s_")
	exec(t, dsn, `CREATE SCHEMA `+name)
	return withParam(t, dsn, "search_path", name)
}

// open opens a store on dsn, closed when the test ends.
func open(t *testing.T, dsn string, opts Options) *Store {
	t.Helper()
	if opts.MaxConns == 0 {
		opts.MaxConns = 4 // the test server is shared; stay well under max_connections
	}
	s, err := Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	db := newDatabase(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, newSchema(t, db), Options{})
	})
}

// Errors say what went wrong and where, and never repeat the password.
func TestOpenErrors(t *testing.T) {
	const password = "hunter2-s3cret"
	tests := []struct {
		name   string
		dsn    func(t *testing.T) string
		want   string
		server bool
		// transient errors are retried at start (Transient); the others
		// need an operator.
		transient bool
	}{
		{name: "malformed URL", dsn: func(*testing.T) string { return "postgres://parley:" + password + "@db:notaport/parley" },
			want: "not a valid PostgreSQL connection string"},
		{name: "malformed keywords", dsn: func(*testing.T) string { return "host=db password=" + password + " port=x" },
			want: "not a valid PostgreSQL connection string"},
		{name: "unreachable", dsn: func(*testing.T) string {
			return "postgres://parley:" + password + "@127.0.0.1:1/parley?sslmode=disable&connect_timeout=5"
		}, want: "cannot reach PostgreSQL at 127.0.0.1:1/parley as parley", transient: true},
		{name: "unknown role", server: true, dsn: func(t *testing.T) string {
			u, err := url.Parse(serverDSN(t))
			if err != nil || u.Scheme == "" {
				t.Skip(envDSN + " is not a URL")
			}
			u.User = url.UserPassword("no_such_parley_role", password)
			return u.String()
		}, want: "refused the login"},
		{name: "unknown database", server: true, dsn: func(t *testing.T) string {
			return withParam(t, withParam(t, serverDSN(t), "dbname", "no_such_parley_db"), "password", password)
		}, want: "create the database first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.server {
				serverDSN(t)
			}
			dsn := tt.dsn(t)
			s, err := Open(t.Context(), dsn, Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q shows the password", err)
			}
			if got := Transient(err); got != tt.transient {
				t.Errorf("Transient(%q) = %v, want %v", err, got, tt.transient)
			}
		})
	}
}

// lockedWriter collects log output from several stores.
type lockedWriter struct {
	mu  sync.Mutex
	buf strings.Builder
}

func newLockedWriter() *lockedWriter { return &lockedWriter{} }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func testLogger(w *lockedWriter) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: w, Level: hclog.Info})
}
