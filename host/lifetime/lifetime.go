// Package lifetime bounds how long customer data stays in the store: a
// background job deletes finished messages older than the retention
// period ([retention] messages), and Forget erases one customer on an
// operator's request (parley forget, the status page). The store does
// the deleting (store.Lifetime); this package decides when and says what
// the desks are told.
package lifetime

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// ErasureNotice is what every desk a conversation was in is told when the
// customer's data is erased.
var ErasureNotice = sdk.Notice{
	Code: sdk.NoticeDataErased,
	Text: "This customer's messages and contact details were deleted from Parley at the operator's request. " +
		"Your desk keeps its own copy of this conversation; delete it there too if the request covers it.",
}

// Forget erases a Telegram user's data and queues ErasureNotice to the
// desks; see store.Lifetime.ForgetTelegramUser. Running it again is
// harmless and finishes an erasure that was interrupted.
func Forget(ctx context.Context, st store.Lifetime, telegramUserID int64) (store.Forgotten, error) {
	if telegramUserID <= 0 {
		return store.Forgotten{}, fmt.Errorf("a Telegram user id is a positive number, not %d", telegramUserID)
	}
	return st.ForgetTelegramUser(ctx, telegramUserID, ErasureNotice)
}

// Describe says in a sentence what Forget did, for the operator.
func Describe(telegramUserID int64, f store.Forgotten) string {
	switch {
	case f.Conversations == 0:
		return fmt.Sprintf("Telegram user %d has no conversation in Parley: nothing to forget", telegramUserID)
	case f.Erased == 0:
		return fmt.Sprintf("Telegram user %d was already forgotten: nothing left to delete", telegramUserID)
	}
	told := "no desk had seen the conversation"
	if len(f.Notified) > 0 {
		told = fmt.Sprintf("a notice is queued to %v", f.Notified)
	}
	return fmt.Sprintf("forgot Telegram user %d: deleted %d messages and %d replies and the contact details of %d conversation(s); %s",
		telegramUserID, f.Messages, f.Replies, f.Erased, told)
}

// Retention deletes finished messages older than Keep, in batches.
type Retention struct {
	Store store.Lifetime
	// Keep is the retention period; Run returns at once when it is 0.
	Keep time.Duration
	// Batch is the most rows of each kind deleted per transaction [500].
	Batch int
	// Pause is the wait between batches, so a large first purge does not
	// hold the database [200ms].
	Pause time.Duration
	// Every is the wait between purges [5m].
	Every time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Observe, when set, is told what each batch deleted.
	Observe func(store.Purged)
	Log     hclog.Logger
}

func (r *Retention) defaults() {
	if r.Batch <= 0 {
		r.Batch = 500
	}
	if r.Pause <= 0 {
		r.Pause = 200 * time.Millisecond
	}
	if r.Every <= 0 {
		r.Every = 5 * time.Minute
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Log == nil {
		r.Log = hclog.NewNullLogger()
	}
}

// Run purges at once and then every r.Every until ctx ends. A failed purge
// is logged and tried again next time. Replicas may all run it: the store
// lets concurrent purges take different rows.
func (r Retention) Run(ctx context.Context) error {
	if r.Keep <= 0 {
		return nil
	}
	r.defaults()
	for {
		if _, err := r.Purge(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("deleting expired messages failed; trying again later", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.Every):
		}
	}
}

// Purge deletes every finished row older than the retention period, batch
// by batch, and returns the total.
func (r Retention) Purge(ctx context.Context) (store.Purged, error) {
	r.defaults()
	var total store.Purged
	before := r.Now().Add(-r.Keep)
	for {
		p, err := r.Store.PurgeFinished(ctx, before, r.Batch)
		if err != nil {
			return total, err
		}
		total.Messages += p.Messages
		total.Replies += p.Replies
		if r.Observe != nil && p != (store.Purged{}) {
			r.Observe(p)
		}
		if p.Messages < r.Batch && p.Replies < r.Batch {
			if total != (store.Purged{}) {
				r.Log.Info("deleted expired messages", "messages", total.Messages, "replies", total.Replies,
					"older_than", before.UTC().Format(time.RFC3339))
			}
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(r.Pause):
		}
	}
}

// Days writes d in days, as retention periods are configured ("90 days").
func Days(d time.Duration) string {
	days := d.Hours() / 24
	if days == float64(int64(days)) {
		return fmt.Sprintf("%d days", int64(days))
	}
	return fmt.Sprintf("%.1f days", days)
}
