package pluginhost

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/sdk"
)

// channel is one configured channel: its spec, its current process and
// what operators are shown about it.
type channel struct {
	m      *Manager
	spec   Spec
	path   string
	log    hclog.Logger
	plog   *pluginLog // the plugin's own output, across restarts
	host   sdk.Host
	handle *Handle
	// kick asks the supervisor to check the process now (a call failed).
	kick chan struct{}

	mu        sync.Mutex
	inst      *instance // nil unless running
	state     State
	lastErr   error
	restarts  int
	sha       string
	desc      sdk.DescribeResponse
	retryAt   time.Time // when the next restart attempt starts
	reconfig  error     // set when a call found the plugin unconfigured
	calls     map[string]*CallStats
	failures  []time.Time // recent failures; only the supervisor touches it
	startedAt time.Time
	// endSupervision ends this channel's supervisor (Manager.Remove).
	endSupervision context.CancelFunc
}

// start runs the first launch.
func (c *channel) start(ctx context.Context) error {
	inst, sum, err := c.m.launch(ctx, c.spec, c.log, c.plog, c.host)
	c.setSHA(sum)
	if err != nil {
		c.log.Error("plugin failed to start", "channel", c.spec.Name, "error", err)
		c.fail(err)
		return err
	}
	if !c.adopt(inst, false) {
		inst.stop(ctx, true, c.m.opts.StopTimeout)
		return fmt.Errorf("channel %q: the plugin host closed while it started", c.spec.Name)
	}
	c.log.Info("plugin started", "channel", c.spec.Name, "version", inst.desc.Version, "path", c.path)
	return nil
}

// supervise watches the running process until ctx ends or the channel
// fails for good: a poll for exit, a periodic health ping, and an
// immediate check whenever a call through the handle looked like a
// dead connection.
func (c *channel) supervise(ctx context.Context) {
	exitTick := time.NewTicker(c.m.opts.ExitPollInterval)
	defer exitTick.Stop()
	pingTick := time.NewTicker(c.m.opts.PingInterval)
	defer pingTick.Stop()
	for {
		inst := c.current()
		if inst == nil {
			return // stopped
		}
		var cause error
		select {
		case <-ctx.Done():
			return
		case <-exitTick.C:
			cause = c.check(ctx, inst, false)
		case <-pingTick.C:
			cause = c.check(ctx, inst, true)
		case <-c.kick:
			cause = c.check(ctx, inst, true)
		}
		if cause != nil && !c.restart(ctx, inst, cause) {
			return
		}
	}
}

// check returns why inst must be replaced, or nil.
func (c *channel) check(ctx context.Context, inst *instance, ping bool) error {
	if inst.exited() {
		return fmt.Errorf("plugin process %s", inst.exitReason())
	}
	c.mu.Lock()
	reconfig := c.reconfig
	c.reconfig = nil
	c.mu.Unlock()
	if reconfig != nil {
		return fmt.Errorf("plugin lost its configuration: %w", reconfig)
	}
	if !ping {
		return nil
	}
	if err := inst.ping(ctx, c.m.opts.PingTimeout); err != nil {
		if ctx.Err() != nil {
			return nil // shutting down, not a failure
		}
		// A dead process refuses connections before go-plugin has reaped
		// it; give it a moment so the cause names the exit, not the ping.
		if waitExit(ctx, inst, time.Second) {
			return fmt.Errorf("plugin process %s", inst.exitReason())
		}
		return err
	}
	return nil
}

// waitExit reports whether inst exits within d. go-plugin exposes no exit
// channel, so it polls.
func waitExit(ctx context.Context, inst *instance, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !inst.exited() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// restart replaces a dead or hung process, waiting a backoff that grows
// with each failure in the window. It returns false when the channel has
// failed for good or the manager is closing.
func (c *channel) restart(ctx context.Context, old *instance, cause error) bool {
	if !c.down(old, cause) {
		return false
	}
	// The old process is broken (dead, hung or unconfigured): no grace.
	old.stop(ctx, false, c.m.opts.StopTimeout)
	opts := c.m.opts
	for {
		now := time.Now()
		c.failures = append(recent(c.failures, now.Add(-opts.FailureWindow)), now)
		if len(c.failures) >= opts.MaxFailures {
			err := fmt.Errorf("gave up after %d failures within %s; last: %w", len(c.failures), opts.FailureWindow, cause)
			c.log.Error("plugin failed; not restarting it again", "channel", c.spec.Name, "error", err)
			c.fail(err)
			return false
		}
		attempt := len(c.failures)
		wait := opts.backoff(attempt)
		c.mu.Lock()
		c.retryAt = now.Add(wait)
		c.mu.Unlock()
		c.log.Warn("restarting plugin", "channel", c.spec.Name, "attempt", attempt, "backoff", wait, "error", cause)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		inst, sum, err := c.m.launch(ctx, c.spec, c.log, c.plog, c.host)
		c.setSHA(sum)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			cause = err
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
			continue
		}
		if !c.adopt(inst, true) {
			inst.stop(ctx, true, opts.StopTimeout)
			return false
		}
		c.log.Info("plugin restarted", "channel", c.spec.Name, "attempt", attempt, "version", inst.desc.Version)
		return true
	}
}

// recent drops the times before since.
func recent(ts []time.Time, since time.Time) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if t.After(since) {
			out = append(out, t)
		}
	}
	return out
}

// current returns the running instance, nil when there is none.
func (c *channel) current() *instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inst
}

// adopt makes inst the running process unless the manager closed.
func (c *channel) adopt(inst *instance, restarted bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateStopped {
		return false
	}
	c.inst, c.state, c.desc, c.startedAt = inst, StateRunning, inst.desc, inst.started
	c.reconfig = nil
	if restarted {
		c.restarts++
	}
	return true
}

// down marks inst as gone and the channel as restarting; false when inst
// was already replaced or the manager is closing.
func (c *channel) down(inst *instance, cause error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateStopped || c.inst != inst {
		return false
	}
	c.inst, c.state, c.lastErr, c.startedAt = nil, StateRestarting, cause, time.Time{}
	c.retryAt = time.Now().Add(c.m.opts.MinBackoff)
	return true
}

// fail marks the channel failed for good.
func (c *channel) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateStopped {
		return
	}
	c.inst, c.state, c.lastErr, c.startedAt = nil, StateFailed, err, time.Time{}
}

// shutdown marks the channel stopped and hands back the process to stop.
func (c *channel) shutdown() *instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	inst := c.inst
	c.inst, c.startedAt = nil, time.Time{}
	if c.state != StateFailed {
		c.state = StateStopped
	}
	return inst
}

func (c *channel) setSHA(sum string) {
	if sum == "" {
		return
	}
	c.mu.Lock()
	c.sha = sum
	c.mu.Unlock()
}

// nudge asks the supervisor to look at the process now.
func (c *channel) nudge() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// wantReconfigure asks the supervisor to restart inst, which lost its
// configuration; a fresh process is configured as part of its start.
func (c *channel) wantReconfigure(inst *instance, cause error) {
	c.mu.Lock()
	if c.inst == inst {
		c.reconfig = cause
	}
	c.mu.Unlock()
	c.nudge()
}

// status is the operator's view of the channel.
func (c *channel) status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Status{
		Name: c.spec.Name, Plugin: c.spec.Plugin, Path: c.path, SHA256: c.sha,
		Version: c.desc.Version, Description: c.desc.Description, Capabilities: c.desc.Capabilities,
		State: c.state, Restarts: c.restarts, StartedAt: c.startedAt,
		Calls: make(map[string]CallStats, len(c.calls)),
	}
	if c.lastErr != nil {
		st.LastError = c.lastErr.Error()
	}
	for k, v := range c.calls {
		st.Calls[k] = *v
	}
	return st
}
