package store

import "context"

// The interfaces below are optional operator and resume forms both
// drivers implement; callers test for them with a type assertion.

// FailedRetrier retries failed rows in bulk (`parley outbox retry --all`).
type FailedRetrier interface {
	// RetryFailed does what RetryNow does to every failed row of channel:
	// its deliveries to channel and, for the channel "telegram" (where
	// Backlog counts replies), the failed replies. An empty channel means
	// every failed delivery and reply. It returns how many rows are ready
	// again.
	RetryFailed(ctx context.Context, channel string) (int, error)
}

// ReplyProgressRecorder keeps how far a reply got, so a reply sent as
// several Telegram messages resumes after the parts already sent instead
// of sending them twice.
type ReplyProgressRecorder interface {
	// RecordReplyProgress stores sent (see OutgoingReply.Sent) on the
	// pending reply id that owner holds, changing nothing else; the next
	// claim of the reply returns it. It fails with ErrLeaseLost when owner
	// no longer holds the reply.
	RecordReplyProgress(ctx context.Context, id int64, owner string, sent []int64) error
}
