package store

import (
	"context"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// Lifetime is how long customer data stays in the store: retention of
// finished messages and erasure of one customer's data on request.
type Lifetime interface {
	// PurgeFinished deletes up to limit of the oldest messages created
	// before the given time whose every delivery is done (with those
	// deliveries), and up to limit of the oldest sent replies created
	// before it, in one transaction. Pending and failed rows stay, and so
	// do conversations and their thread references, so replies to an old
	// thread still route. Several replicas may purge at once. Callers
	// repeat it, pausing between calls, until it deletes fewer than limit
	// of each.
	PurgeFinished(ctx context.Context, before time.Time, limit int) (Purged, error)

	// ForgetTelegramUser erases a Telegram user's data: in each of the
	// user's conversations, every message, delivery and reply (with the
	// file references they hold) and the contact (names, username,
	// language, photo link, start payload). The conversation itself and its
	// thread references stay, so the desks' threads still route. Each
	// conversation that held data is erased in one transaction, which also
	// queues notice to every channel the conversation was in; a call that
	// stops half way is finished by calling it again. A conversation with
	// nothing left to erase is counted but not changed, and no notice is
	// sent again.
	ForgetTelegramUser(ctx context.Context, userID int64, notice sdk.Notice) (Forgotten, error)
}

// Purged counts what PurgeFinished deleted.
type Purged struct {
	Messages int
	Replies  int
}

// Forgotten says what ForgetTelegramUser did.
type Forgotten struct {
	// Conversations is how many conversations the user has.
	Conversations int
	// Erased is how many of them held data and were erased now; 0 when the
	// user was forgotten before (or never wrote).
	Erased int
	// Messages and Replies count the rows deleted.
	Messages int
	Replies  int
	// Notified lists the channels told, sorted, without repeats.
	Notified []string
}
