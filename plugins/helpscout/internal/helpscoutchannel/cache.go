package helpscoutchannel

import "sync"

// cache remembers ids Help Scout gave us, to spare API calls and to keep a
// retried first delivery from creating a second customer or conversation.
// It is bounded: when a map is full it starts over, which costs at most one
// extra read per entry (hand-written because three tiny maps do not earn an
// LRU dependency).
type cache struct {
	mu    sync.Mutex
	limit int
	// customers maps a Telegram user id to a Help Scout customer id.
	customers map[int64]int64
	// convCustomer maps a conversation id to its customer id.
	convCustomer map[int64]int64
	// created maps a Telegram message id to the conversation its first
	// delivery created.
	created map[string]int64
}

func newCache(limit int) *cache {
	return &cache{limit: limit, customers: map[int64]int64{}, convCustomer: map[int64]int64{}, created: map[string]int64{}}
}

func getFrom[K comparable](c *cache, m map[K]int64, k K) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m[k]
	return v, ok
}

func putIn[K comparable](c *cache, m map[K]int64, k K, v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(m) >= c.limit {
		clear(m)
	}
	m[k] = v
}
