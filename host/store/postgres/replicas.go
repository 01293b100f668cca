package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parley-dev/parley/host/store"
)

// TryLead implements store.Store. Replicas racing for a free lease are
// serialised by its primary key; the loser's ON CONFLICT sees the winner's
// row and takes it only if that lease has run out.
func (s *Store) TryLead(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" || ttl <= 0 {
		return false, errors.New("lead: name, owner and a positive ttl are required")
	}
	// The database's clock, as for delivery leases (claimClock).
	tag, err := s.pool.Exec(ctx, `INSERT INTO leaderships (name, owner, until)
		VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leaderships.owner = excluded.owner OR leaderships.until < now()`,
		name, owner, ttl.Microseconds())
	if err != nil {
		return false, fmt.Errorf("leadership %s: %w", name, err)
	}
	return tag.RowsAffected() > 0, nil
}

// ReleaseLead implements store.Store.
func (s *Store) ReleaseLead(ctx context.Context, name, owner string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM leaderships WHERE name = $1 AND owner = $2`, name, owner); err != nil {
		return fmt.Errorf("releasing leadership %s: %w", name, err)
	}
	return nil
}

// Heartbeat implements store.Store. The times reported are read against
// this replica's clock and stored on the database's (now() plus how long
// ago they were), so a replica whose clock is off is not listed as gone.
func (s *Store) Heartbeat(ctx context.Context, r store.Replica) error {
	leads, err := json.Marshal(append([]string{}, r.Leads...))
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO replicas (owner, hostname, pid, version, leads, started_at, seen_at)
		VALUES ($1, $2, $3, $4, $5, now() + ($6::timestamptz - $8::timestamptz), now() + ($7::timestamptz - $8::timestamptz))
		ON CONFLICT (owner) DO UPDATE SET hostname = excluded.hostname, pid = excluded.pid, version = excluded.version,
			leads = excluded.leads, seen_at = excluded.seen_at`,
		r.Owner, cleanText(r.Hostname), r.PID, cleanText(r.Version), string(leads), s.nowOr(r.StartedAt), s.nowOr(r.SeenAt), s.clock())
	if err != nil {
		return fmt.Errorf("heartbeat of %s: %w", r.Owner, err)
	}
	return nil
}

// Replicas implements store.Store.
func (s *Store) Replicas(ctx context.Context, within time.Duration) ([]store.Replica, error) {
	rows, err := s.pool.Query(ctx, `SELECT owner, hostname, pid, version, leads::text, started_at, seen_at
		FROM replicas WHERE seen_at >= now() - $1::bigint * interval '1 microsecond' ORDER BY seen_at DESC`, within.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("listing replicas: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Replica, error) {
		var r store.Replica
		var leads string
		if err := row.Scan(&r.Owner, &r.Hostname, &r.PID, &r.Version, &leads, &r.StartedAt, &r.SeenAt); err != nil {
			return r, err
		}
		_ = json.Unmarshal([]byte(leads), &r.Leads) // written by Heartbeat; a bad value lists no leads
		r.StartedAt, r.SeenAt = r.StartedAt.UTC(), r.SeenAt.UTC()
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing replicas: %w", err)
	}
	return out, nil
}
