package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Transient reports whether err (from Open or any Store method) is one
// that may pass if the caller tries again later: the server could not be
// reached, refused connections for now (starting up, shutting down, too
// many clients), dropped the connection (an administrator's
// pg_terminate_backend, a failover, a restart: SQLSTATE 57P01), or the
// attempt timed out. Errors that only an operator fixes are not: a
// refused login, a missing database or role, a malformed DSN, a host
// name that does not resolve, a TLS failure, an SQL error.
//
// Hand-written rather than pgconn.SafeToRetry alone: that says only
// whether a statement surely never reached the server, which is true of
// a refused connection but not of a connection the server terminated.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return transientCode(pg.Code)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTimeout || dns.IsTemporary
	}
	var ne net.Error
	switch {
	case pgconn.Timeout(err), pgconn.SafeToRetry(err), errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, driver.ErrBadConn):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

// transientCode is true for the SQLSTATEs of a server that is briefly
// unavailable: connection exceptions (class 08), operator intervention
// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now),
// too_many_connections, and serialization failures or deadlocks, which a
// new transaction resolves.
func transientCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "53300", code == "40001", code == "40P01":
		return true
	}
	return false
}

// finishAttempts bounds again: a first try and two more, each on a
// connection the pool checks out afresh.
const finishAttempts = 3

// again runs op, which finishes rows a worker holds (completes, retries,
// fails, releases them or records progress), and runs it again when it
// failed with a Transient error: the database ended its connection (an
// operator's pg_terminate_backend, a failover) or a deadlock aborted it.
// Left failed, the row stayed leased to a live worker until its lease ran
// out (up to 135 s for a reply), holding its conversation back, and then
// went out a second time. Repeating is safe: each statement only changes a
// row the owner still holds, so if the attempt whose answer was lost had
// committed, the repeat finds the row no longer held and says
// store.ErrLeaseLost, as for a row finished elsewhere.
func again(ctx context.Context, op func() error) error {
	err := op()
	for i := 1; i < finishAttempts && err != nil && Transient(err) && ctx.Err() == nil; i++ {
		err = op()
	}
	return err
}
