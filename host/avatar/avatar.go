// Package avatar looks up customers' profile photos, once per
// conversation and off the message path: intake hands each new
// conversation to Fetcher.Enqueue, a few workers ask Telegram
// (getUserProfilePhotos) and record the photo's file_id, or that there is
// none to show, with the conversation. Deliveries then link the photo
// through the host's signed /files/ links (never Telegram's URL).
package avatar

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
)

// MinSize is the smallest photo side, in pixels, handed to desks; the
// smallest size at least this big is chosen.
const MinSize = 64

// Lookup returns the file_id of the profile photo of c's customer (at
// least MinSize pixels where Telegram has it), "" when there is none or it
// is hidden. It asks through c's bot: file ids belong to a bot.
type Lookup func(ctx context.Context, c store.Conversation) (string, error)

// Store records what was found.
type Store interface {
	SetContactPhoto(ctx context.Context, conversationID, ref string) error
}

// Fetcher looks photos up in the background.
type Fetcher struct {
	lookup Lookup
	store  Store
	log    hclog.Logger
	queue  chan store.Conversation
}

// New returns a Fetcher with a queue of up to size conversations; call Run.
func New(lookup Lookup, st Store, log hclog.Logger, size int) *Fetcher {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Fetcher{lookup: lookup, store: st, log: log, queue: make(chan store.Conversation, size)}
}

// Enqueue asks for c's photo unless it was looked up already. It never
// blocks intake: with the queue full the conversation goes without a
// photo (a debug line says so).
func (f *Fetcher) Enqueue(c store.Conversation) {
	if c.PhotoRef != "" || c.Contact.TelegramUserID == 0 {
		return
	}
	select {
	case f.queue <- c:
	default:
		f.log.Debug("profile photo lookups are backed up; this conversation goes without one", "conversation", c.ID)
	}
}

// Run works the queue with workers goroutines until ctx ends.
func (f *Fetcher) Run(ctx context.Context, workers int) error {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case c := <-f.queue:
					f.fetch(ctx, c)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// fetch looks up one conversation's photo. A failed lookup records
// nothing: the desks get no photo for it, and no retry loads Telegram.
func (f *Fetcher) fetch(ctx context.Context, c store.Conversation) {
	callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	id, err := f.lookup(callCtx, c)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Debug("looking up a profile photo failed", "conversation", c.ID, "error", err)
		}
		return
	}
	ref := id
	if ref == "" {
		ref = store.NoPhoto
	}
	if err := f.store.SetContactPhoto(ctx, c.ID, ref); err != nil && ctx.Err() == nil {
		f.log.Warn("recording a profile photo failed", "conversation", c.ID, "error", err)
	}
}
