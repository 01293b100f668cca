package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/parley-dev/parley/host/store"
)

// TryLead implements store.Store. With SQLite there is one replica (the
// file lock sees to it), but the lease is kept all the same so the host
// code is the same on every driver.
func (s *Store) TryLead(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" || ttl <= 0 {
		return false, errors.New("lead: name, owner and a positive ttl are required")
	}
	now := time.Now()
	held := false
	err := s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leaderships (name, owner, until_us) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_us = excluded.until_us
			WHERE leaderships.owner = excluded.owner OR leaderships.until_us < ?`,
			name, owner, dbTime(now.Add(ttl)), dbTime(now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		held = n > 0
		return nil
	})
	return held, err
}

// ReleaseLead implements store.Store.
func (s *Store) ReleaseLead(ctx context.Context, name, owner string) error {
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM leaderships WHERE name = ? AND owner = ?`, name, owner)
		return err
	})
}

// Heartbeat implements store.Store.
func (s *Store) Heartbeat(ctx context.Context, r store.Replica) error {
	leads, err := json.Marshal(append([]string{}, r.Leads...))
	if err != nil {
		return err
	}
	seen := nowOr(r.SeenAt)
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO replicas (owner, hostname, pid, version, leads, started_at_us, seen_at_us)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (owner) DO UPDATE SET hostname = excluded.hostname, pid = excluded.pid, version = excluded.version,
				leads = excluded.leads, seen_at_us = excluded.seen_at_us`,
			r.Owner, r.Hostname, r.PID, r.Version, string(leads), dbTime(nowOr(r.StartedAt)), dbTime(seen))
		return err
	})
}

// Replicas implements store.Store.
func (s *Store) Replicas(ctx context.Context, within time.Duration) ([]store.Replica, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT owner, hostname, pid, version, leads, started_at_us, seen_at_us
		FROM replicas WHERE seen_at_us >= ? ORDER BY seen_at_us DESC`, dbTime(time.Now().Add(-within)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Replica
	for rows.Next() {
		var r store.Replica
		var leads string
		var started, seen int64
		if err := rows.Scan(&r.Owner, &r.Hostname, &r.PID, &r.Version, &leads, &started, &seen); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(leads), &r.Leads)
		r.StartedAt, r.SeenAt = goTime(started), goTime(seen)
		out = append(out, r)
	}
	return out, rows.Err()
}
