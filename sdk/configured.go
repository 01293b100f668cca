package sdk

import "sync/atomic"

// Configured holds what a channel builds in Configure (its parsed config,
// its desk clients) for the other methods to read. Configure builds a new
// value and calls [Configured.Set] only when the whole table is good, so a
// rejected reconfiguration leaves the previous state serving; calls in
// flight keep the value they loaded. The zero value is empty and ready to
// use; do not copy it after first use.
type Configured[T any] struct {
	p atomic.Pointer[T]
}

// Get returns the current state, or [ErrNotConfigured] before the first
// successful Configure (the host then configures the plugin again).
func (c *Configured[T]) Get() (*T, error) {
	v := c.p.Load()
	if v == nil {
		return nil, ErrNotConfigured
	}
	return v, nil
}

// Set makes v the current state and returns the one it replaces (nil the
// first time), so Configure can close the old state's connections.
func (c *Configured[T]) Set(v *T) (old *T) {
	return c.p.Swap(v)
}
