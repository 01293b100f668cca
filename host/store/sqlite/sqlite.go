package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrLocked matches (errors.Is) the error Open returns when another
// process holds the database.
var ErrLocked = errors.New("database is in use by another process")

// lockedError names the contested file and points to the way out.
type lockedError struct{ path string }

func (e lockedError) Error() string {
	return "another parley is using " + e.path + "; SQLite supports one replica, use PostgreSQL for more"
}

func (e lockedError) Is(target error) bool { return target == ErrLocked }

// Options tune Open.
type Options struct {
	// Logger receives migration and recovery messages; silent when nil.
	Logger hclog.Logger
	// ReadConns is the size of the read pool [4].
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by a
	// checkpoint or another connection before failing [5s].
	BusyTimeout time.Duration
	// Attach opens the database beside the host that owns it, for a
	// short-lived command such as "parley outbox retry": no process lock,
	// no migrations, and the running host's leases are left alone. The
	// database must exist with the current schema. Never run a host on an
	// attached store.
	Attach bool
}

// Store is a store.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	path  string
	write *sql.DB // one connection: every write, in BEGIN IMMEDIATE transactions
	read  *sql.DB // read-only pool
	lock  *flock.Flock
	log   hclog.Logger
	// stmts are the write connection's prepared statements.
	stmts *stmtCache
	// rating is SetRatingPolicy's policy.
	rating store.RatingPolicy
	// seen is SetSeenReaction's emoji.
	seen string
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at dsn, a file path or a
// "file:" URI, takes the process lock, applies pending migrations and
// releases leases a previous process left behind. With opts.Attach it only
// opens an existing database; see Options.Attach.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	path, query, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}

	if opts.Attach {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no parley database at %s: %w", path, err)
		}
		s := &Store{path: path, log: opts.Logger}
		if err := s.attach(ctx, query, opts); err != nil {
			_ = s.Close()
			return nil, err
		}
		return s, nil
	}

	// SQLite's own locks let two processes share a file, but two hosts
	// would both poll Telegram and both work the outbox with leases each
	// believes the other's crash released. Refuse the second one outright.
	lock := flock.New(path + ".lock")
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", lock.Path(), err)
	}
	if !ok {
		return nil, lockedError{path}
	}
	s := &Store{path: path, lock: lock, log: opts.Logger}
	if err := s.open(ctx, query, opts); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, query url.Values, opts Options) error {
	if err := s.openPools(ctx, query, opts); err != nil {
		return err
	}
	if err := migrate(ctx, s.write, s.log); err != nil {
		return fmt.Errorf("migrating %s: %w", s.path, err)
	}
	return s.releaseLeases(ctx)
}

// attach opens the pools of a database a host may be running on.
func (s *Store) attach(ctx context.Context, query url.Values, opts Options) error {
	if err := s.openPools(ctx, query, opts); err != nil {
		return err
	}
	p, err := migrator(s.write)
	if err != nil {
		return err
	}
	// Migrating under a running host (of an older version) could change
	// the schema beneath it; only a host migrates.
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version of %s: %w", s.path, err)
	}
	if pending {
		return fmt.Errorf("the database at %s has an older schema: start parley once to migrate it", s.path)
	}
	return nil
}

func (s *Store) openPools(ctx context.Context, query url.Values, opts Options) error {
	common := func() url.Values {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("_busy_timeout", fmt.Sprint(opts.BusyTimeout.Milliseconds()))
		q.Set("_foreign_keys", "on")
		return q
	}
	wq := common()
	// WAL lets readers proceed while the writer commits. synchronous=NORMAL
	// in WAL mode fsyncs only at checkpoints: a committed transaction
	// survives the process dying at any moment (kill -9), which is what
	// Parley promises; a power loss may lose the last few transactions.
	wq.Set("_journal_mode", "WAL")
	wq.Set("_synchronous", "NORMAL")
	// One write connection already queues this process's writers; BEGIN
	// IMMEDIATE also makes an attached command wait (busy_timeout) for the
	// host's write lock up front instead of failing halfway.
	wq.Set("_txlock", "immediate")
	var err error
	if s.write, err = sql.Open("sqlite", fileURI(s.path, wq)); err != nil {
		return fmt.Errorf("opening %s: %w", s.path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	s.stmts = &stmtCache{db: s.write}
	// The first connection sets WAL mode and creates the file; do it before
	// readers open so they never see a half-made database.
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("opening %s: %w", s.path, err)
	}

	rq := common()
	rq.Set("_query_only", "on")
	if s.read, err = sql.Open("sqlite", fileURI(s.path, rq)); err != nil {
		return fmt.Errorf("opening %s: %w", s.path, err)
	}
	s.read.SetMaxOpenConns(opts.ReadConns)
	s.read.SetMaxIdleConns(opts.ReadConns)
	return nil
}

// releaseLeases frees every row and leadership a previous process held. The file lock
// proves that process is gone, so its in-flight work can be retried now
// instead of after its leases run out.
func (s *Store) releaseLeases(ctx context.Context) error {
	return s.tx(ctx, func(tx *wtx) error {
		for _, table := range []string{"deliveries", "replies"} {
			res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET lease_owner = NULL, lease_until = NULL
				WHERE state = 'pending' AND lease_owner IS NOT NULL`)
			if err != nil {
				return fmt.Errorf("releasing leases: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				s.log.Info("released work a previous run left in flight", "table", table, "rows", n)
			}
		}
		// Leaderships too: the Telegram poller lease of a killed process
		// would otherwise hold polling back until it ran out.
		if _, err := tx.ExecContext(ctx, `DELETE FROM leaderships`); err != nil {
			return fmt.Errorf("releasing leaderships: %w", err)
		}
		return nil
	})
}

// parseDSN splits a path or "file:" URI into an absolute path and the
// URI's query parameters.
func parseDSN(dsn string) (string, url.Values, error) {
	path, query := dsn, url.Values{}
	if strings.HasPrefix(dsn, "file:") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", nil, fmt.Errorf("sqlite dsn %q: %w", dsn, err)
		}
		path = u.Opaque
		if path == "" {
			path = u.Path
		}
		if path, err = url.PathUnescape(path); err != nil {
			return "", nil, fmt.Errorf("sqlite dsn %q: %w", dsn, err)
		}
		query = u.Query()
		if query.Get("mode") == "memory" {
			return "", nil, fmt.Errorf("sqlite dsn %q: in-memory databases are not supported; use a file", dsn)
		}
	}
	if path == "" || path == ":memory:" {
		return "", nil, fmt.Errorf("sqlite dsn %q: a database file path is required", dsn)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, fmt.Errorf("sqlite dsn %q: %w", dsn, err)
	}
	return abs, query, nil
}

// fileURI builds the URI the driver opens; as a URI the path may hold any
// character ("?", "#", "%") without being mistaken for parameters.
func fileURI(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path // Windows: file:///C:/...
	}
	return "file://" + u.EscapedPath() + "?" + u.RawQuery
}

// Ping checks the database answers on both pools.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.read, s.write} {
		var one int
		if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
			return fmt.Errorf("sqlite %s: %w", s.path, err)
		}
	}
	return nil
}

// Close closes the database and releases the process lock.
func (s *Store) Close() error {
	var errs []error
	if s.stmts != nil {
		s.stmts.close()
	}
	for _, db := range []*sql.DB{s.read, s.write} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Unlock())
	}
	return errors.Join(errs...)
}

// tx runs fn in a write transaction, committing when it returns nil.
// Statements fn ran unprepared are prepared once the transaction has
// released the connection (see stmtCache).
func (s *Store) tx(ctx context.Context, fn func(tx *wtx) error) (err error) {
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	tx := &wtx{Tx: sqlTx, cache: s.stmts}
	defer func() {
		if len(tx.missed) > 0 {
			s.stmts.prepare(context.WithoutCancel(ctx), tx.missed)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// Times are stored as Unix microseconds, the precision PostgreSQL keeps.
func dbTime(t time.Time) int64 { return t.UnixMicro() }

func goTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
