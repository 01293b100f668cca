package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/hashicorp/go-hclog"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies pending migrations. goose's Provider is used rather than
// its package-level functions, which keep the dialect and file system in
// globals.
func migrate(ctx context.Context, db *sql.DB, log hclog.Logger) error {
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

// migrator is a goose Provider over the embedded migrations. Never Close
// it: that would close db.
func migrator(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
}
