package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parley-dev/parley/host/admin"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/router"
)

// reloadState records the running config for the status page.
type reloadState struct {
	mu sync.Mutex
	s  admin.ConfigState
}

func (r *reloadState) loaded(revision string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Revision, r.s.LoadedAt = revision, at
	r.s.LastError, r.s.LastErrorAt = "", time.Time{}
}

func (r *reloadState) rejected(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.LastError, r.s.LastErrorAt = err.Error(), time.Now()
}

func (r *reloadState) state() admin.ConfigState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s
}

// Revision is the revision of a config file's text: its sha256, in hex.
func Revision(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// webhookPaths are the public listener's patterns for Telegram webhooks:
// everything under /telegram/ (so bots added by a reload are served), and
// any bot's own webhook_path outside it.
func webhookPaths(cfg *config.Config) []string {
	paths := []string{"/telegram/"}
	for _, b := range cfg.Bots() {
		if !strings.HasPrefix(b.WebhookPath, "/telegram/") && !slices.Contains(paths, b.WebhookPath) {
			paths = append(paths, b.WebhookPath)
		}
	}
	return paths
}

// setRoutes gives the router cfg's enabled channels and the bots'
// default routes.
func setRoutes(r *router.Router, cfg *config.Config) {
	var enabled []string
	for _, ch := range cfg.EnabledChannels() {
		enabled = append(enabled, ch.Name)
	}
	bots := map[string]router.Bot{}
	for _, b := range cfg.Bots() {
		bots[b.Name] = router.Bot{Channels: b.Channels, Rules: b.Routes, Menu: b.Menu}
	}
	r.Set(enabled, bots)
}

// runBots runs every bot until ctx ends, then stops them all (each
// finishes the batch it is committing). With a config path, SIGHUP
// rereads the file and applies it here, one reload at a time.
func (h *host) runBots(ctx context.Context, path string) error {
	for _, b := range h.bots.all() {
		b.start(ctx)
	}
	defer func() {
		var wg sync.WaitGroup
		for _, b := range h.bots.all() {
			wg.Go(b.stopBot)
		}
		wg.Wait()
	}()
	var hup chan os.Signal
	if path != "" {
		hup = make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			h.reloadFile(ctx, path)
		}
	}
}

// reloadFile rereads the config file and applies it; an invalid file is
// rejected with the problems parley check reports, and the running config
// stays.
func (h *host) reloadFile(ctx context.Context, path string) {
	h.log.Info("reloading the config", "file", path)
	data, err := os.ReadFile(path)
	var cfg *config.Config
	if err == nil {
		cfg, err = config.Parse(path, data, os.LookupEnv)
	}
	if err == nil {
		err = h.applyConfig(ctx, cfg)
	}
	if err != nil {
		h.reload.rejected(err)
		h.log.Error("config reload rejected; the running config stays", "error", err.Error())
		return
	}
	rev := Revision(data)
	h.reload.loaded(rev, time.Now())
	h.log.Info("config reloaded", "revision", rev)
}

// applyConfig brings the running channels, bots and routes to cfg. New
// channels start, removed ones stop, a changed one's plugin restarts with
// its new config (deliveries to it wait meanwhile, spending no attempts).
// New bots start, removed ones stop, a changed one is replaced (the old one
// stops first, finishing the batch it is committing and releasing its
// lease, so no update is lost or polled twice); a change of a bot's
// channels only changes its route. Anything that cannot be built or
// started rejects the reload and leaves the running config as it was.
// Keys outside the bots and channels take effect at the next start.
func (h *host) applyConfig(ctx context.Context, cfg *config.Config) error {
	if changed := restartOnly(h.cfg, cfg); len(changed) > 0 {
		h.log.Warn("these config sections changed and take effect at the next start", "sections", strings.Join(changed, ","))
	}
	// The new file's secrets are redacted before anything it starts logs.
	h.redactor.Add(cfg.Secrets()...)

	// Build every new or changed bot first: a bot that cannot be built
	// rejects the reload before anything changed.
	var fresh []*bot
	want := map[string]bool{}
	for _, bc := range cfg.Bots() {
		want[bc.Name] = true
		if old, ok := h.bots.get(bc.Name); ok && sameBot(old.cfg, bc) {
			old.cfg.Channels = bc.Channels
			continue
		}
		b, err := h.newBot(ctx, bc)
		if err != nil {
			return err
		}
		fresh = append(fresh, b)
	}
	if err := h.applyChannels(ctx, cfg.EnabledChannels()); err != nil {
		return err
	}
	// Routes name only the running channels.
	running := *cfg
	running.Channels = h.running
	setRoutes(h.router, &running)
	for _, b := range h.bots.all() {
		if !want[b.cfg.Name] {
			h.log.Info("bot removed", "bot", b.cfg.Name)
			h.bots.remove(b.cfg.Name)
			b.stopBot()
		}
	}
	for _, b := range fresh {
		if old, ok := h.bots.get(b.cfg.Name); ok {
			h.log.Info("bot changed; restarting it", "bot", b.cfg.Name)
			old.stopBot()
		} else {
			h.log.Info("bot added", "bot", b.cfg.Name)
		}
		h.bots.put(b)
		b.start(ctx)
	}
	return nil
}

// applyChannels brings the running channels to want: it starts the added
// ones, restarts the changed ones with their new config and stops the
// removed ones, in that order. When a channel cannot start, what was done
// is undone (a changed channel gets its old config back) and the reload is
// rejected. Removing a channel keeps its undelivered rows in the outbox:
// they wait, as for a channel that is down, until it is configured again.
func (h *host) applyChannels(ctx context.Context, want []config.Channel) error {
	was := map[string]config.Channel{}
	for _, ch := range h.running {
		was[ch.Name] = ch
	}
	var added, changed, removed []config.Channel
	for _, ch := range want {
		old, ok := was[ch.Name]
		switch {
		case !ok:
			added = append(added, ch)
		case !sameChannel(old, ch):
			changed = append(changed, ch)
		}
		delete(was, ch.Name)
	}
	for _, ch := range h.running {
		if _, gone := was[ch.Name]; gone {
			removed = append(removed, ch)
		}
	}
	for _, ch := range slices.Concat(added, changed, removed) {
		if h.channels.inProcess(ch.Name) {
			return fmt.Errorf("channel %s runs inside the host and cannot be reloaded; restart instead", ch.Name)
		}
	}

	var undo []func()
	rollback := func() {
		for _, u := range slices.Backward(undo) {
			u()
		}
	}
	start := func(ch config.Channel) error {
		spec, err := specOf(ch)
		if err == nil {
			err = h.plugins.Add(ctx, spec)
		}
		if err != nil {
			return fmt.Errorf("channel %s: %w", ch.Name, err)
		}
		return nil
	}
	stop := func(name string) {
		if err := h.plugins.Remove(ctx, name); err != nil {
			h.log.Warn("a channel's plugin did not stop cleanly", "channel", name, "error", err)
		}
	}
	for _, ch := range added {
		if err := start(ch); err != nil {
			rollback()
			return err
		}
		h.log.Info("channel added", "channel", ch.Name, "plugin", ch.Plugin)
		undo = append(undo, func() { stop(ch.Name) })
	}
	for _, ch := range changed {
		old := findChannel(h.running, ch.Name)
		stop(ch.Name)
		if err := start(ch); err != nil {
			if err := start(old); err != nil {
				h.log.Error("the channel's old config did not start again either", "channel", ch.Name, "error", err)
			}
			rollback()
			return err
		}
		h.log.Info("channel changed; its plugin restarted with the new config", "channel", ch.Name)
		undo = append(undo, func() {
			stop(ch.Name)
			if err := start(old); err != nil {
				h.log.Error("the channel's old config did not start again", "channel", ch.Name, "error", err)
			}
		})
	}
	for _, ch := range removed {
		stop(ch.Name)
		h.log.Info("channel removed; its undelivered messages wait in the outbox", "channel", ch.Name)
	}
	h.running = slices.Clone(want)
	return nil
}

// sameChannel reports whether two configs of a channel run it the same way
// (where its table sits in the file does not matter).
func sameChannel(a, b config.Channel) bool {
	a.Line, b.Line = 0, 0
	return reflect.DeepEqual(a, b)
}

// findChannel returns the channel named name in chans.
func findChannel(chans []config.Channel, name string) config.Channel {
	for _, ch := range chans {
		if ch.Name == name {
			return ch
		}
	}
	return config.Channel{}
}

// sameBot reports whether two configs of a bot run it the same way (its
// channels are the router's business).
func sameBot(a, b config.Telegram) bool {
	a.Channels, b.Channels = nil, nil
	return reflect.DeepEqual(a, b)
}

// restartOnly names the sections outside bots and channels that differ.
func restartOnly(a, b *config.Config) []string {
	var out []string
	for name, pair := range map[string][2]any{
		"server": {a.Server, b.Server}, "admin": {a.Admin, b.Admin}, "store": {a.Store, b.Store},
		"plugins": {a.Plugins, b.Plugins}, "files": {a.Files, b.Files}, "dispatch": {a.Dispatch, b.Dispatch},
		"log": {a.Log, b.Log}, "retention": {a.Retention, b.Retention}, "conversations": {a.Conversations, b.Conversations},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
