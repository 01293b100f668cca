package app

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/postgres"
	"github.com/sethvargo/go-retry"
)

// Start-up retry pacing: the first retry after about startRetryFirst,
// doubling up to startRetryMax, ±20 % so replicas restarted together do
// not reach for the database in step.
const (
	startRetryFirst = 500 * time.Millisecond
	startRetryMax   = 10 * time.Second
)

// storeTransient tells which store errors at start-up are worth waiting
// out: a PostgreSQL server that is unreachable, starting, restarting or
// dropping connections (replicas and their database are often started
// together, and a failover terminates every connection). SQLite's errors
// are not: the file is local, and a locked one is held by another host.
func storeTransient(cfg *config.Config) func(error) bool {
	if cfg.Store.Driver == config.DriverPostgres {
		return postgres.Transient
	}
	return func(error) bool { return false }
}

// retryStart runs op until it succeeds, fails with an error transient
// refuses (a wrong password, a missing database: those fail the start at
// once, with op's message), or ctx ends; each transient failure is logged
// as a warning with the wait before the next attempt.
func retryStart[T any](ctx context.Context, log hclog.Logger, what string, transient func(error) bool, op func(context.Context) (T, error)) (T, error) {
	var (
		attempt int
		lastErr error
	)
	next := retry.WithJitterPercent(20, retry.WithCappedDuration(startRetryMax, retry.NewExponential(startRetryFirst)))
	logged := retry.BackoffFunc(func() (time.Duration, bool) {
		wait, stop := next.Next()
		log.Warn("the store is not available yet; retrying", "step", what, "attempt", attempt, "error", lastErr,
			"retry_in", wait.Round(10*time.Millisecond))
		return wait, stop
	})
	v, err := retry.DoValue(ctx, logged, func(ctx context.Context) (T, error) {
		attempt++
		v, err := op(ctx)
		if err != nil && ctx.Err() == nil && transient(err) {
			lastErr = err
			return v, retry.RetryableError(err)
		}
		return v, err
	})
	if err != nil && ctx.Err() != nil && lastErr != nil {
		// Cancelled while waiting: say what was being waited for.
		return v, fmt.Errorf("%s: still failing when start-up was cancelled: %w", what, lastErr)
	}
	return v, err
}

// openStoreRetrying opens the store for a host, waiting out transient
// errors (openStore's connection, migrations).
func openStoreRetrying(ctx context.Context, cfg *config.Config, log hclog.Logger) (store.Store, error) {
	return retryStart(ctx, log, "opening the store", storeTransient(cfg), func(ctx context.Context) (store.Store, error) {
		return openStore(ctx, cfg, log, false)
	})
}

// secretRetrying reads (or creates) a store secret, waiting out transient
// errors.
func secretRetrying(ctx context.Context, h *host, what, name string) ([]byte, error) {
	return retryStart(ctx, h.log, what, storeTransient(h.cfg), func(ctx context.Context) ([]byte, error) {
		return h.store.Secret(ctx, name, randomBytes(32))
	})
}
