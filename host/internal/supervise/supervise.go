// Package supervise runs the host's long-lived tasks as one group: the first
// task that fails stops all of them, shutdown waits a bounded time for every
// task to return, and readiness fires once the listeners that matter have
// reported their addresses.
package supervise

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Task is one long-lived part of the host. Run returns when its context is
// cancelled; an error it returns before then stops the whole group.
type Task struct {
	Name string
	Run  func(context.Context) error
}

// Options adjust Run.
type Options struct {
	// Grace bounds how long Run waits for the tasks to return once the
	// group is stopping.
	Grace time.Duration
	// Stopping, when set, is called once when the group starts to stop:
	// with nil when ctx ended, or with the first task's error.
	Stopping func(err error)
}

// Run starts every task and blocks until ctx ends or a task fails, then
// cancels the others and waits up to opts.Grace for all of them to return.
// err is the first task's error, prefixed with its name (nil when ctx ended
// first); drained reports whether every task returned within the grace.
// Errors a task returns after the group started stopping are ignored: they
// are the cancellation, not a fault.
func Run(ctx context.Context, opts Options, tasks ...Task) (drained bool, err error) {
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range tasks {
		g.Go(func() error {
			if err := t.Run(gctx); err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			return nil
		})
	}
	// errgroup cancels gctx on the first error (with that error as cause)
	// or when ctx ends (with ctx's cause); a task returning nil early
	// stops nothing, as Wait is only called below.
	<-gctx.Done()
	if cause := context.Cause(gctx); cause != context.Cause(ctx) {
		err = cause
	}
	if opts.Stopping != nil {
		opts.Stopping(err)
	}
	done := make(chan struct{})
	go func() {
		_ = g.Wait() // the first error is already in err
		close(done)
	}()
	timer := time.NewTimer(opts.Grace)
	defer timer.Stop()
	select {
	case <-done:
		return true, err
	case <-timer.C:
		return false, err
	}
}

// Readiness calls a function once every listener named in its list has
// reported its address.
type Readiness struct {
	mu    sync.Mutex
	want  []string
	addrs map[string]net.Addr
	ready func(map[string]net.Addr)
	fired bool
}

// NewReadiness waits for the listeners named in want; ready (which may be
// nil) gets their addresses by name, once.
func NewReadiness(want []string, ready func(map[string]net.Addr)) *Readiness {
	return &Readiness{want: want, addrs: map[string]net.Addr{}, ready: ready}
}

// Listening returns the callback the listener called name reports its
// address to. A name not in the list is recorded but awaited by nobody.
func (r *Readiness) Listening(name string) func(net.Addr) {
	return func(a net.Addr) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.addrs[name] = a
		if r.fired {
			return
		}
		for _, w := range r.want {
			if r.addrs[w] == nil {
				return
			}
		}
		r.fired = true
		if r.ready != nil {
			addrs := make(map[string]net.Addr, len(r.addrs))
			for k, v := range r.addrs {
				addrs[k] = v
			}
			r.ready(addrs)
		}
	}
}
