package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Secret returns the named secret, creating it with gen the first time.
// Creators of one name take a transaction advisory lock and look again
// before generating, so gen runs once however many replicas start
// together, and every replica gets the one value it made (file links
// signed on one replica verify on all).
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("reading secret %s: %w", name, err)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockSecretsClass, name); err != nil {
			return err
		}
		// A statement after the lock sees what its previous holder committed.
		err := tx.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if v, err = gen(); err != nil {
			return fmt.Errorf("generating: %w", err)
		}
		if len(v) == 0 {
			return errors.New("generating: empty value")
		}
		_, err = tx.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)`, name, v, s.clock())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return v, nil
}
