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

// Reclaimed is what ReclaimDeadLeases took back.
type Reclaimed struct {
	// Replicas are the owners found dead (their rows are removed).
	Replicas []string
	// Deliveries and Replies count the leases cut short.
	Deliveries, Replies int64
}

// ReclaimDeadLeases cuts short the live leases of every replica whose last
// heartbeat is older than silence, so other replicas claim that work now
// instead of when the leases run out (45 s for a delivery, over 2 min for
// a reply), and removes those replicas' rows. A process that is killed
// comes back under a new owner name and can never finish what the old one
// held; SQLite frees such rows at start (its file lock proves the previous
// process gone), but a PostgreSQL replica cannot tell a dead peer from a
// slow one except by its heartbeat.
//
// silence must stay well above the heartbeat interval and its jitter: a
// replica taken for dead while it works still delivers what it holds, and
// a peer delivers the same rows again. A cut lease keeps its owner (only
// lease_until is cleared), so a replica that was only slow still finishes
// a row nobody claimed meanwhile, as after a lease that ran out.
//
// It is meant to run periodically on every replica, never in the claim
// path. Dead replicas' rows are locked with SKIP LOCKED, so replicas
// running it at once split the work and never wait for each other, and a
// replica heartbeating at that moment is re-checked on its new heartbeat
// and spared. With no dead replica (the common case) it costs one read of
// the small replicas table; otherwise one statement scans the pending rows.
func (s *Store) ReclaimDeadLeases(ctx context.Context, silence time.Duration) (Reclaimed, error) {
	if silence <= 0 {
		return Reclaimed{}, fmt.Errorf("reclaim: silence must be positive, got %s", silence)
	}
	var found bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM replicas WHERE seen_at < now() - $1::bigint * interval '1 microsecond')`,
		silence.Microseconds()).Scan(&found); err != nil {
		return Reclaimed{}, fmt.Errorf("looking for dead replicas: %w", err)
	}
	if !found {
		return Reclaimed{}, nil
	}
	// dead is read with FOR UPDATE: its rows are locked until commit, and a
	// heartbeat committed after this statement's snapshot is re-checked.
	// A lease is cut by clearing lease_until, which claims read as free;
	// rows locked by someone else (a slow owner finishing them) are skipped.
	var r Reclaimed
	err := s.pool.QueryRow(ctx, `WITH dead AS (
		SELECT owner FROM replicas WHERE seen_at < now() - $1::bigint * interval '1 microsecond'
		FOR UPDATE SKIP LOCKED
	), d AS (
		UPDATE deliveries SET lease_until = NULL, updated_at = now()
		WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND lease_until IS NOT NULL
			AND lease_owner IN (SELECT owner FROM dead) FOR UPDATE SKIP LOCKED)
		RETURNING 1
	), r AS (
		UPDATE replies SET lease_until = NULL, updated_at = now()
		WHERE id IN (SELECT id FROM replies WHERE state = 'pending' AND lease_until IS NOT NULL
			AND lease_owner IN (SELECT owner FROM dead) FOR UPDATE SKIP LOCKED)
		RETURNING 1
	), gone AS (
		DELETE FROM replicas WHERE owner IN (SELECT owner FROM dead) RETURNING owner
	)
	SELECT COALESCE((SELECT array_agg(owner ORDER BY owner) FROM gone), '{}'), (SELECT count(*) FROM d), (SELECT count(*) FROM r)`,
		silence.Microseconds()).Scan(&r.Replicas, &r.Deliveries, &r.Replies)
	if err != nil {
		return Reclaimed{}, fmt.Errorf("reclaiming the leases of dead replicas: %w", err)
	}
	return r, nil
}

// RetireReplica is a replica's last act on a graceful stop, once its
// workers have returned: it cuts short the leases owner still holds (rows
// claimed but never attempted, or abandoned when shutdown ran out of
// time), gives up its leaderships and removes its heartbeat row, so other
// replicas take its lanes at once.
func (s *Store) RetireReplica(ctx context.Context, owner string) error {
	_, err := s.pool.Exec(ctx, `WITH d AS (
		UPDATE deliveries SET lease_until = NULL, updated_at = now()
		WHERE state = 'pending' AND lease_owner = $1 AND lease_until IS NOT NULL
	), r AS (
		UPDATE replies SET lease_until = NULL, updated_at = now()
		WHERE state = 'pending' AND lease_owner = $1 AND lease_until IS NOT NULL
	), l AS (
		DELETE FROM leaderships WHERE owner = $1
	)
	DELETE FROM replicas WHERE owner = $1`, owner)
	if err != nil {
		return fmt.Errorf("retiring replica %s: %w", owner, err)
	}
	return nil
}
