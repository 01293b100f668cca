package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/parley-dev/parley/sdk"
)

// Manager runs the channel plugins of one host. Create it with [New], call
// [Manager.Start] once with the configured channels, [Manager.Add] and
// [Manager.Remove] when a reload changes them, and [Manager.Close] on
// shutdown. It is safe for concurrent use.
type Manager struct {
	opts Options

	mu       sync.Mutex
	channels map[string]*channel
	order    []*channel
	started  bool
	closed   bool
	cancel   context.CancelFunc // ends the supervisors
	superCtx context.Context    // the supervisors' context, for Add
	wg       sync.WaitGroup     // supervisors
}

// New returns a Manager; nothing runs until Start.
func New(opts Options) *Manager {
	return &Manager{opts: opts.withDefaults(), channels: map[string]*channel{}}
}

// Start starts every channel concurrently (find, verify, start, Describe,
// Configure) and supervises the ones that came up. It returns every
// start-up problem joined, one line each; channels that failed stay in
// state "failed" and the others keep running, so the caller decides
// whether one broken channel stops the host. Start may be called once.
func (m *Manager) Start(ctx context.Context, specs []Spec) error {
	m.mu.Lock()
	if m.started || m.closed {
		m.mu.Unlock()
		return errors.New("pluginhost: Start called twice or after Close")
	}
	m.started = true
	// Supervision outlives ctx (often a start-up deadline) and ends in Close.
	superCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel, m.superCtx = cancel, superCtx
	errs := make([]error, len(specs))
	todo := make([]*channel, len(specs))
	for i, s := range specs {
		err := s.validate()
		if _, dup := m.channels[s.Name]; dup {
			errs[i] = fmt.Errorf("channel %q: %w: the name is used twice", s.Name, ErrInvalidSpec)
			continue
		}
		if s.Name == "" {
			errs[i] = err
			continue
		}
		c := m.newChannel(s)
		m.channels[s.Name] = c
		m.order = append(m.order, c)
		if err != nil {
			errs[i] = err
			c.fail(err)
			continue
		}
		todo[i] = c
	}
	m.mu.Unlock()

	var wg sync.WaitGroup
	for i, c := range todo {
		if c == nil {
			continue
		}
		wg.Go(func() {
			if errs[i] = c.start(ctx); errs[i] == nil {
				m.supervise(superCtx, c)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// supervise starts c's supervisor unless the manager is closing. Each
// channel's supervisor has its own context, so Remove can end one.
func (m *Manager) supervise(ctx context.Context, c *channel) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	cctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.endSupervision = cancel
	c.mu.Unlock()
	m.wg.Go(func() {
		defer cancel()
		c.supervise(cctx)
	})
}

// Add starts one more channel after Start (a config reload), as Start
// starts each: find, verify, start, Describe, Configure, then supervise.
// A channel that fails to start is not added, and its error is returned.
func (m *Manager) Add(ctx context.Context, s Spec) error {
	if err := s.validate(); err != nil {
		return err
	}
	m.mu.Lock()
	if !m.started || m.closed {
		m.mu.Unlock()
		return errors.New("pluginhost: Add before Start or after Close")
	}
	if _, dup := m.channels[s.Name]; dup {
		m.mu.Unlock()
		return fmt.Errorf("channel %q: %w: it is already running", s.Name, ErrInvalidSpec)
	}
	superCtx := m.superCtx
	m.mu.Unlock()

	c := m.newChannel(s)
	if err := c.start(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	if _, dup := m.channels[s.Name]; dup || m.closed {
		m.mu.Unlock()
		if inst := c.shutdown(); inst != nil {
			inst.stop(ctx, true, m.opts.StopTimeout)
		}
		return fmt.Errorf("channel %q: added twice at once, or the plugin host closed", s.Name)
	}
	m.channels[s.Name] = c
	m.order = append(m.order, c)
	m.mu.Unlock()
	m.supervise(superCtx, c)
	return nil
}

// Remove stops the named channel's plugin (gracefully, within
// Options.StopTimeout) and forgets the channel: Channel reports false for
// it from now on, so its deliveries wait as for a channel that is down.
// Removing a name that is not configured does nothing.
func (m *Manager) Remove(ctx context.Context, name string) error {
	m.mu.Lock()
	c, ok := m.channels[name]
	if ok {
		delete(m.channels, name)
		m.order = slices.DeleteFunc(m.order, func(o *channel) bool { return o == c })
	}
	m.mu.Unlock()
	if !ok {
		return nil
	}
	inst := c.shutdown()
	c.mu.Lock()
	end := c.endSupervision
	c.mu.Unlock()
	if end != nil {
		end()
	}
	if inst != nil && !inst.stop(ctx, true, m.opts.StopTimeout) {
		return fmt.Errorf("plugin %s did not stop in time", name)
	}
	c.log.Info("plugin stopped: the channel was removed", "channel", name)
	return nil
}

// Channel returns a handle to the named channel's plugin, or false for a
// name that was never configured. The handle (a [*Handle], which also
// implements sdk.AttachmentOpener) stays valid across restarts.
func (m *Manager) Channel(name string) (sdk.Channel, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.channels[name]
	if !ok {
		return nil, false
	}
	return c.handle, true
}

// Status reports every configured channel, in configuration order.
func (m *Manager) Status() []Status {
	m.mu.Lock()
	chans := append([]*channel(nil), m.order...)
	m.mu.Unlock()
	out := make([]Status, 0, len(chans))
	for _, c := range chans {
		out = append(out, c.status())
	}
	return out
}

// Close stops supervision and every plugin, concurrently. Each plugin gets
// Options.StopTimeout to exit gracefully before it is killed; ctx bounds
// the whole. It returns an error naming any plugin that would not stop.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	chans := append([]*channel(nil), m.order...)
	cancel := m.cancel
	m.mu.Unlock()
	if cancel != nil {
		cancel()
	}

	insts := make([]*instance, len(chans))
	for i, c := range chans {
		insts[i] = c.shutdown()
	}
	errs := make([]error, len(chans))
	var wg sync.WaitGroup
	for i, inst := range insts {
		if inst == nil {
			continue
		}
		wg.Go(func() {
			if !inst.stop(ctx, true, m.opts.StopTimeout) {
				errs[i] = fmt.Errorf("plugin %s did not stop in time", chans[i].spec.Name)
			}
		})
	}
	wg.Wait()

	// Supervisors end promptly once cancelled: their launches and sleeps
	// watch the same context.
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("plugin supervisors did not stop: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// Check starts every spec as [Manager.Start] does, stops them all again and
// returns their status with every problem found, not just the first. It is
// `parley check`'s plugin step and feeds `parley plugins`.
func Check(ctx context.Context, opts Options, specs []Spec) ([]Status, error) {
	m := New(opts)
	err := m.Start(ctx, specs)
	closeErr := m.Close(ctx)
	return m.Status(), errors.Join(err, closeErr)
}

// newChannel sets up the bookkeeping for one spec.
func (m *Manager) newChannel(s Spec) *channel {
	c := &channel{
		m:     m,
		spec:  s,
		path:  binaryPath(m.opts.Dir, s),
		log:   m.opts.Logger.Named("plugin." + s.Name),
		kick:  make(chan struct{}, 1),
		state: StateStarting,
		calls: map[string]*CallStats{},
	}
	if m.opts.Host != nil {
		if h := m.opts.Host(s.Name); h != nil {
			c.host = newLimitedHost(h, s.Name, m.opts.PostReplyRate, m.opts.PostReplyBurst)
		}
	}
	// Under the binary's name, where go-plugin used to log the plugin's
	// output: plugin.<channel>.parley-channel-<plugin>.
	c.plog = newPluginLog(c.log.Named(BinaryPrefix+s.Plugin), s.Name, m.opts.LogLinesPerSecond, m.opts.LogBurst, m.opts.LogDropReport)
	c.handle = &Handle{c: c}
	return c
}
