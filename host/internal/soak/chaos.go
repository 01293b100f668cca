package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"
)

// faultKind is one kind of hard fault the chaos driver makes.
type faultKind string

const (
	hostKill   faultKind = "host SIGKILL"
	pluginKill faultKind = "plugin SIGKILL"
	dbKill     faultKind = "database connections terminated"
)

// chaos makes hard faults at random intervals while the traffic runs.
type chaos struct {
	w        *world
	rng      *rand.Rand
	rngMu    sync.Mutex
	progress io.Writer
	start    time.Time

	mu     sync.Mutex
	counts map[faultKind]int
	// missed counts faults that found nothing to hit (the plugin of a host
	// being restarted); they are not counted as faults.
	missed int
	// terminated is how many database connections were ended in all.
	terminated int
}

func newChaos(w *world, seed uint64, progress io.Writer) *chaos {
	return &chaos{w: w, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), progress: progress,
		start: time.Now(), counts: map[faultKind]int{}}
}

// between returns a random duration in [lo, hi).
func (c *chaos) between(lo, hi time.Duration) time.Duration {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(c.rng.Int64N(int64(hi-lo)))
}

func (c *chaos) intn(n int) int {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.IntN(n)
}

// every makes fault f at intervals drawn from [mean/2, 3·mean/2) until ctx
// ends; a fault that fails is fatal to the soak (errs gets it).
func (c *chaos) every(ctx context.Context, mean time.Duration, kind faultKind, f func() (bool, error), errs chan<- error) {
	if mean <= 0 {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.between(mean/2, mean*3/2)):
		}
		hit, err := f()
		if err != nil {
			errs <- fmt.Errorf("%s: %w", kind, err)
			return
		}
		c.mu.Lock()
		if hit {
			c.counts[kind]++
		} else {
			c.missed++
		}
		c.mu.Unlock()
	}
}

// killHost SIGKILLs a random replica and starts it again after a short
// pause. One replica at a time is down: this is the only goroutine that
// kills hosts, and it waits for the restart.
func (c *chaos) killHost() (bool, error) {
	h := c.w.hosts[c.intn(len(c.w.hosts))]
	if !h.kill() {
		return false, nil // down already: the supervisor restarts it
	}
	c.logf("SIGKILL host %s", h.name)
	time.Sleep(c.between(200*time.Millisecond, 2*time.Second))
	// The restart must finish even as the traffic ends.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return true, h.start(ctx)
}

// killPlugin SIGKILLs a random replica's webhook plugin; its host starts
// a new one.
func (c *chaos) killPlugin() (bool, error) {
	h := c.w.hosts[c.intn(len(c.w.hosts))]
	// While the host restarts (or restarts its plugin) there is no plugin
	// yet: wait for it rather than let the fault miss.
	pid := h.pluginPID()
	for deadline := time.Now().Add(15 * time.Second); pid == 0 && time.Now().Before(deadline); pid = h.pluginPID() {
		time.Sleep(100 * time.Millisecond)
	}
	if pid == 0 {
		return false, nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return false, nil // it exited first
	}
	c.logf("SIGKILL plugin of %s (pid %d)", h.name, pid)
	return true, nil
}

// killDB terminates every connection to the soak's database.
func (c *chaos) killDB() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := c.w.terminateConnections(ctx)
	if err != nil {
		return false, err
	}
	c.logf("terminated %d database connections", n)
	c.mu.Lock()
	c.terminated += n
	c.mu.Unlock()
	return n > 0, nil
}

func (c *chaos) logf(format string, args ...any) {
	fmt.Fprintf(c.progress, "soak: %6.1fs  %s\n", time.Since(c.start).Seconds(), fmt.Sprintf(format, args...))
}

// faults returns how many faults of each kind hit, and the total.
func (c *chaos) faults() (map[faultKind]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[faultKind]int{}
	total := 0
	for k, v := range c.counts {
		out[k] = v
		total += v
	}
	return out, total
}
