package slackchannel

import (
	"sync"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// outcome is what one Slack event or click carries for the host: agent
// replies and lifecycle actions.
type outcome struct {
	replies []sdk.Reply
	actions []sdk.Action
}

// eventCache remembers what each Slack event produced, by event_id, for a
// while. Slack retries an event whose answer was late or failed, and
// Socket Mode redelivers unacked envelopes: a repeat waits for the first
// run and gets the same replies, so nothing is fetched or posted twice.
//
// A repeat still returns the replies (rather than none) because the first
// answer may never have been committed by the host; the host stores a reply
// once per ExternalID, so the user sees it once either way.
//
// Hand-written rather than an LRU library: it must also let a repeat wait
// for a run still in progress, which caches do not offer.
type eventCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*eventEntry
	order   []string // insertion order, for expiry
}

type eventEntry struct {
	at   time.Time
	done chan struct{}
	out  outcome
	ok   bool
}

func newEventCache(ttl time.Duration, max int, now func() time.Time) *eventCache {
	return &eventCache{ttl: ttl, max: max, now: now, entries: map[string]*eventEntry{}}
}

// do runs fn once per event id while the id is remembered and returns its
// outcome; a failed run is forgotten so a retry runs again.
func (c *eventCache) do(id string, fn func() (outcome, error)) (outcome, bool, error) {
	if id == "" {
		r, err := fn()
		return r, false, err
	}
	c.mu.Lock()
	c.expire(c.now())
	if e, ok := c.entries[id]; ok {
		c.mu.Unlock()
		<-e.done
		if e.ok {
			return e.out, true, nil
		}
		return c.do(id, fn)
	}
	e := &eventEntry{at: c.now(), done: make(chan struct{})}
	c.entries[id] = e
	c.order = append(c.order, id)
	c.mu.Unlock()

	out, err := fn()
	c.mu.Lock()
	if err != nil {
		if c.entries[id] == e {
			delete(c.entries, id)
		}
	} else {
		e.out, e.ok = out, true
	}
	c.mu.Unlock()
	close(e.done)
	return out, false, err
}

// expire forgets entries older than ttl, and the oldest beyond max.
// Callers hold c.mu.
func (c *eventCache) expire(now time.Time) {
	for len(c.order) > 0 {
		id := c.order[0]
		if e, ok := c.entries[id]; ok && now.Sub(e.at) < c.ttl && len(c.order) <= c.max {
			break
		}
		delete(c.entries, id)
		c.order = c.order[1:]
	}
}
