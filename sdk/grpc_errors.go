package sdk

import (
	"strings"

	"github.com/parley-dev/parley/sdk/internal/wire"
)

// codec maps the plugin side's errors to gRPC statuses and back (see
// package sdk/internal/wire). The host's rate-limit error is not among its
// markers: a plugin's own errors never carry it.
var codec = &wire.Codec{
	RetryAfter: RetryAfter, RetryHint: RetryHint, Permanent: Permanent, IsPermanent: IsPermanent,
	NotConfigured: ErrNotConfigured,
	Remote:        func(code, msg string) error { return &RemoteError{Code: code, Message: msg} },
}

// RemoteError is an error that crossed the plugin boundary.
type RemoteError struct {
	// Code is the gRPC code name, e.g. "Unavailable".
	Code    string
	Message string
}

// Error is the message the other side gave, or its code when it gave none.
func (e *RemoteError) Error() string {
	if e.Message == "" {
		return strings.ToLower(e.Code)
	}
	return e.Message
}
