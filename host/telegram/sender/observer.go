package sender

import "time"

// Observer is told about every Bot API call (metrics). Implementations must
// be safe for concurrent use and return quickly.
type Observer interface {
	// Call reports one HTTP call: the Bot API method, its result ("ok",
	// "rate_limited", "blocked", "rejected", "error" or "canceled") and how
	// long it took.
	Call(method, result string, d time.Duration)
}

// Call results reported to an [Observer].
const (
	ResultOK          = "ok"
	ResultRateLimited = "rate_limited"
	ResultBlocked     = "blocked"
	ResultRejected    = "rejected"
	ResultError       = "error"
	ResultCanceled    = "canceled"
)

type nopObserver struct{}

func (nopObserver) Call(string, string, time.Duration) {}
