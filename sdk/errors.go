package sdk

import (
	"errors"
	"time"
)

// ErrNotConfigured is returned by a channel called before Configure
// succeeded. The host treats it as "restart and configure again".
var ErrNotConfigured = errors.New("channel is not configured")

// retryError carries a desk's request to slow down.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// RetryAfter marks err as temporary with the wait the desk asked for (a
// 429's Retry-After). The host retries the delivery no sooner than after d.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		err = errors.New("desk asked to retry later")
	}
	if d < 0 {
		d = 0
	}
	return &retryError{err: err, after: d}
}

// RetryHint reports the wait carried by an error made with [RetryAfter].
func RetryHint(err error) (time.Duration, bool) {
	var r *retryError
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}

// permanentError marks an error retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying will not fix (a bad request, an
// archived channel, revoked credentials). The host stops retrying, records
// the failure and tells the operator.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with [Permanent].
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
