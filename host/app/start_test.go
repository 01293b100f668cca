package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/config"
)

// syncBuffer is a log output read while the host writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// postgresConfig is a host on the PostgreSQL database at dsn with no
// channels; Telegram is unreachable, which only delays intake.
func postgresConfig(t *testing.T, dsn string) *config.Config {
	t.Helper()
	file := fmt.Sprintf(`
[telegram]
token = "123456:%s"
api_url = "http://127.0.0.1:1"
[server]
listen = "127.0.0.1:0"
[admin]
listen = "127.0.0.1:0"
[store]
driver = "postgres"
dsn = %q
[plugins]
dir = %q
`, strings.Repeat("x", 35), dsn, t.TempDir())
	cfg, err := config.Parse("parley.toml", []byte(file), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runningHost is app.Run in a goroutine.
type runningHost struct {
	log   *syncBuffer
	ready chan Addrs
	// done is closed when Run returns, with err.
	done chan struct{}
	err  error
}

func startHost(t *testing.T, cfg *config.Config) *runningHost {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &runningHost{log: &syncBuffer{}, ready: make(chan Addrs, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = Run(ctx, cfg, RunOptions{Stderr: r.log, Ready: func(a Addrs) { r.ready <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(time.Minute):
			t.Error("the host did not stop")
		}
	})
	return r
}

// waitLog waits until the host's log shows want; it fails the test if
// the host exits first.
func (r *runningHost) waitLog(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for !strings.Contains(r.log.String(), want) {
		select {
		case <-r.done:
			t.Fatalf("the host exited (%v) instead of waiting for the database:\n%s", r.err, r.log)
		case <-deadline:
			t.Fatalf("after %s the log does not show %q:\n%s", within, want, r.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitReady waits for the host to listen; it fails the test if it exits.
func (r *runningHost) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-r.ready:
	case <-r.done:
		t.Fatalf("the host exited (%v):\n%s", r.err, r.log)
	case <-time.After(within):
		t.Fatalf("the host is not up after %s:\n%s", within, r.log)
	}
}

const retryWarning = "the store is not available yet; retrying"

// A host started before its database listens waits for it, warning, and
// comes up once it does (replicas and the database are often started
// together). The database here is a TCP proxy to the test server that
// starts listening after the host tried.
func TestStartWaitsForTheDatabaseToListen(t *testing.T) {
	dsn, _ := pgDatabase(t)
	u, _ := url.Parse(dsn)
	server := u.Host
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	later := l.Addr().String()
	l.Close()
	u.Host = later
	h := startHost(t, postgresConfig(t, u.String()))
	h.waitLog(t, retryWarning, 20*time.Second)
	proxy(t, later, server)
	h.waitReady(t, 30*time.Second)
	if strings.Contains(h.log.String(), "start failed") {
		t.Errorf("start failed:\n%s", h.log)
	}
}

// A host whose database connections are terminated while it starts
// (pg_terminate_backend: "FATAL: terminating connection due to
// administrator command (SQLSTATE 57P01)", as the soak's database restarts
// do) retries and comes up. Here every connection is terminated every few
// milliseconds until the host has warned once: it is opening the store
// and migrating.
func TestStartSurvivesTerminatedConnections(t *testing.T) {
	dsn, name := pgDatabase(t)
	serverDSN := os.Getenv("PARLEY_TEST_POSTGRES_DSN")
	ctx, stopKilling := context.WithCancel(t.Context())
	killed := make(chan int, 1)
	go func() { killed <- terminateLoop(ctx, serverDSN, name) }()
	h := startHost(t, postgresConfig(t, dsn))
	h.waitLog(t, retryWarning, 30*time.Second)
	stopKilling()
	if n := <-killed; n == 0 {
		t.Fatal("no connection of the host was terminated")
	}
	h.waitReady(t, 30*time.Second)
}

// The soak's case exactly: the connection is terminated while the host
// reads its file-link key, after the store opened. The host used to exit
// with "start failed: file link key: reading secret file-link-key: FATAL:
// terminating connection due to administrator command (SQLSTATE 57P01)".
// The secrets table is locked so the read waits where the test can
// terminate it.
func TestStartSurvivesTerminatedConnectionReadingTheFileLinkKey(t *testing.T) {
	dsn, name := pgDatabase(t)
	openPG(t, dsn).Close() // migrated: the host's open is quick and untouched
	ctx := t.Context()
	locker, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(context.WithoutCancel(ctx))
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	server, err := pgx.Connect(ctx, os.Getenv("PARLEY_TEST_POSTGRES_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(context.WithoutCancel(ctx))

	h := startHost(t, postgresConfig(t, dsn))
	// Wait for the host's read to queue behind the lock, then end it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := server.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE '%secrets%'`, name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host never read its file-link key:\n%s", h.log)
		}
		select {
		case <-h.done:
			t.Fatalf("the host exited (%v):\n%s", h.err, h.log)
		case <-time.After(10 * time.Millisecond):
		}
	}
	h.waitLog(t, `step="reading the file link key"`, 20*time.Second)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	h.waitReady(t, 30*time.Second)
	if !strings.Contains(h.log.String(), "SQLSTATE 57P01") {
		t.Errorf("the warning does not give the database's reason:\n%s", h.log)
	}
}

// terminateLoop terminates every connection to database name every few
// milliseconds until ctx ends, and returns how many it terminated.
func terminateLoop(ctx context.Context, serverDSN, name string) int {
	conn, err := pgx.Connect(ctx, serverDSN)
	if err != nil {
		return 0
	}
	defer conn.Close(context.WithoutCancel(ctx))
	total := 0
	for ctx.Err() == nil {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, name).Scan(&n); err == nil {
			total += n
		}
		time.Sleep(5 * time.Millisecond)
	}
	return total
}

// Errors only an operator fixes still stop the start at once, with a
// message that says what to fix, and are not retried.
func TestStartFailsFastOnPermanentStoreErrors(t *testing.T) {
	dsn, _ := pgDatabase(t)
	missingDB, _ := url.Parse(dsn)
	missingDB.Path = "/no_such_parley_database"
	unknownRole, _ := url.Parse(dsn)
	unknownRole.User = url.UserPassword("no_such_parley_role", "pw")
	for _, tt := range []struct {
		name, dsn, want string
	}{
		{"missing database", missingDB.String(), "create the database first"},
		{"unknown role", unknownRole.String(), "no_such_parley_role"},
		{"bad DSN", "postgres://parley@db:notaport/parley", "not a valid PostgreSQL connection string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := startHost(t, postgresConfig(t, tt.dsn))
			select {
			case <-h.done:
				if h.err == nil || !strings.Contains(h.err.Error(), tt.want) {
					t.Errorf("start error %v, want one saying %q", h.err, tt.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("the host is still starting after 20 s:\n%s", h.log)
			}
			if strings.Contains(h.log.String(), retryWarning) {
				t.Errorf("a permanent error was retried:\n%s", h.log)
			}
		})
	}
}

// proxy forwards TCP connections from addr to target until the test ends.
func proxy(t *testing.T, addr, target string) {
	t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port was free a moment ago; another test may hold it briefly
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			pipe := func(dst, src net.Conn) {
				_, _ = io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			wg.Go(func() { pipe(c, s) })
			wg.Go(func() { pipe(s, c) })
		}
	})
}
