package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-dev/parley/host/store"
)

// Options tune Open.
type Options struct {
	// Logger receives migration messages; silent when nil.
	Logger hclog.Logger
	// MaxConns bounds the connection pool; the DSN's pool_max_conns or
	// pgx's default (at least 4) when zero.
	MaxConns int32
	// Now is this replica's clock, time.Now when nil: it stamps what the
	// replica reports (message times, heartbeats). Tests skew it; lease
	// decisions never read it (see doc.go).
	Now func() time.Time
}

// Store is a store.Store on a PostgreSQL database. It is safe for
// concurrent use, by any number of processes.
type Store struct {
	pool *pgxpool.Pool
	log  hclog.Logger
	// where names the server for errors: host, port, database and user,
	// never the password.
	where string
	// clock is Options.Now.
	clock func() time.Time
	// rating is SetRatingPolicy's policy.
	rating store.RatingPolicy
	// seen is SetSeenReaction's emoji.
	seen string
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// pairs, as libpq takes them) and applies pending migrations, waiting for
// a replica that is migrating at the same time.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts passwords from parse errors only on a best-effort
		// basis, so none of the DSN or the parser's message is repeated.
		return nil, errors.New(`store dsn is not a valid PostgreSQL connection string: ` +
			`want "postgres://user:password@host:5432/database" or "host=… user=… dbname=…"`)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{log: opts.Logger, where: describe(cfg.ConnConfig), clock: opts.Now}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, s.connectError(cfg.ConnConfig, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, s.connectError(cfg.ConnConfig, err)
	}
	if err := migrate(ctx, cfg.ConnConfig, s.log); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("migrating PostgreSQL at %s: %w", s.where, redact(err, cfg.ConnConfig.Password))
	}
	return s, nil
}

// describe names a server without its password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s as %s", c.Host, c.Port, c.Database, c.User)
}

// connectError says why the server could not be used, in the terms an
// operator fixes it in. The error's chain is kept for Transient.
func (s *Store) connectError(c *pgx.ConnConfig, err error) error {
	err = redact(err, c.Password)
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		var msg string
		switch pg.Code {
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			msg = fmt.Sprintf("PostgreSQL at %s refused the login (check the user and password of [store] dsn): %s", s.where, pg.Message)
		case "3D000": // invalid_catalog_name
			msg = fmt.Sprintf("PostgreSQL at %s: %s (create the database first)", s.where, pg.Message)
		default:
			msg = fmt.Sprintf("PostgreSQL at %s: %s (SQLSTATE %s)", s.where, pg.Message, pg.Code)
		}
		return redactedError{msg: redact(errors.New(msg), c.Password).Error(), err: err}
	}
	return fmt.Errorf("cannot reach PostgreSQL at %s: %w", s.where, err)
}

// redactedError replaces an error's text (to hide a password, or to say
// it in an operator's terms) and keeps the chain for errors.Is and
// errors.As.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// redact removes password from err's text. pgx does not put passwords in
// its errors, but the DSN is operator input and this is the last place to
// catch one before it reaches a log.
func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return redactedError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("PostgreSQL at %s: %w", s.where, err)
	}
	return nil
}

// Close closes the connection pool, waiting for borrowed connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs fn in a transaction (READ COMMITTED, PostgreSQL's default),
// committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// querier is what reads need, inside or outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Advisory lock keys. The two-key form (class, object) keeps Parley's
// locks apart from other applications' in a shared database.
const (
	lockClass = 0x50524c59 // "PRLY"
	// lockNumbers serialises the creation of conversations: Number is
	// MAX+1, gapless even after a rolled-back commit, which a sequence is not.
	lockNumbers = 1
	// lockSecrets plus hashtext(name) serialises the creation of one secret
	// so its generator runs once across replicas.
	lockSecretsClass = 0x50524c5a // "PRLZ"
)

// maxErrorLen bounds a stored error: a desk's HTML error page must not
// bloat the table or the operator's listing.
const maxErrorLen = 2000

// cleanText makes s storable in a text column: PostgreSQL refuses NUL
// bytes and invalid UTF-8, which a desk's error body or a user's name may
// hold, and a refused write must never wedge intake or a retry.
func cleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// truncateError cleans and bounds an error message for storage.
func truncateError(s string) string {
	s = cleanText(s)
	if len(s) <= maxErrorLen {
		return s
	}
	cut := maxErrorLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// nowOr is t, or the replica's clock when t is zero.
func (s *Store) nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return s.clock()
	}
	return t
}
