package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxPrepared bounds the statement cache. Every query of this package is
// one of a few dozen fixed strings; the bound only keeps a query built
// with a variable shape from growing the cache without end.
const maxPrepared = 128

// stmtCache holds the write connection's prepared statements, keyed by
// their SQL. modernc.org/sqlite prepares every query string anew (parsing
// was over a quarter of the host's CPU under load), and database/sql has
// no cache of its own, hence this one.
//
// A statement is prepared after the first transaction that ran it has
// committed, not during it: the pool has one connection, which that
// transaction holds, so preparing on the pool inside it would wait for
// itself. Later transactions bind the prepared statement to their
// connection with Tx.StmtContext, which reuses it.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // string → *sql.Stmt
	n     atomic.Int32
}

// get returns the prepared statement for query, if there is one.
func (c *stmtCache) get(query string) (*sql.Stmt, bool) {
	st, ok := c.stmts.Load(query)
	if !ok {
		return nil, false
	}
	return st.(*sql.Stmt), true
}

// prepare prepares the queries not cached yet. Called outside any
// transaction; a statement that fails to prepare is simply not cached (the
// query keeps running unprepared, and reports its own error there).
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		if _, ok := c.stmts.Load(q); ok || c.n.Load() >= maxPrepared {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		if _, loaded := c.stmts.LoadOrStore(q, st); loaded {
			_ = st.Close()
			continue
		}
		c.n.Add(1)
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		c.stmts.Delete(k)
		return true
	})
}

// wtx is a write transaction whose statements run prepared once cached.
// It shadows the three query methods of sql.Tx, so the package's SQL reads
// the same inside and outside the cache.
type wtx struct {
	*sql.Tx
	cache *stmtCache
	// missed lists queries run unprepared, to prepare after the commit.
	missed []string
}

// ExecContext runs query as sql.Tx.ExecContext does, prepared when cached.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := t.cache.get(query); ok {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	t.missed = append(t.missed, query)
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query as sql.Tx.QueryContext does, prepared when cached.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := t.cache.get(query); ok {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	t.missed = append(t.missed, query)
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query as sql.Tx.QueryRowContext does, prepared when
// cached.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := t.cache.get(query); ok {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	t.missed = append(t.missed, query)
	return t.Tx.QueryRowContext(ctx, query, args...)
}
