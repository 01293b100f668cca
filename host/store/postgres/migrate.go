package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLockID is the session advisory lock that serialises
// migrations across replicas ("parley-migrate" as a number).
const migrationLockID int64 = 0x7061726c65796d67

// migrate applies pending migrations under migrationLock. It runs on its
// own short-lived connections rather than the store's pool: closing them
// afterwards ends the session, which releases the advisory lock even if
// the unlock itself failed, so a pooled connection can never keep it.
func migrate(ctx context.Context, conn *pgx.ConnConfig, log hclog.Logger) error {
	db := stdlib.OpenDB(*conn.Copy())
	defer db.Close()
	p, err := migrator(db)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return err
	}
	for _, r := range results {
		log.Info("applied database migration", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// migrator is a goose Provider over the embedded migrations, locked with
// migrationLock. goose's Provider is used rather than its package-level
// functions, which keep the dialect and file system in globals.
func migrator(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(migrationLock{}))
}

// migrationLock is a goose SessionLocker on pg_advisory_lock. goose ships
// one (lock.NewPostgresSessionLocker), but it polls pg_try_advisory_lock
// every few seconds (one at the least), so replicas starting together
// would wait out whole polling periods; pg_advisory_lock blocks and wakes
// the moment the holder unlocks, and ctx still cancels the wait.
type migrationLock struct{}

// SessionLock implements lock.SessionLocker.
func (migrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("waiting for the migration lock: %w", err)
	}
	return nil
}

// SessionUnlock implements lock.SessionLocker.
func (migrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var released bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockID).Scan(&released); err != nil {
		return fmt.Errorf("releasing the migration lock: %w", err)
	}
	if !released {
		return fmt.Errorf("releasing the migration lock: this session did not hold it")
	}
	return nil
}
