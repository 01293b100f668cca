package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// applyConfig brings the running bots and routes to cfg: new bots start,
// removed ones stop, a changed one is replaced (the old one stops first,
// finishing the batch it is committing and releasing its lease, so no
// update is lost or polled twice); a change of a bot's channels only
// changes its route. Keys outside the bots and channels take effect at
// the next start.
func (h *host) applyConfig(ctx context.Context, cfg *config.Config) error {
	if changed := restartOnly(h.cfg, cfg); len(changed) > 0 {
		h.log.Warn("these config sections changed and take effect at the next start", "sections", strings.Join(changed, ","))
	}
	if !slices.EqualFunc(h.cfg.EnabledChannels(), cfg.EnabledChannels(), func(a, b config.Channel) bool { return reflect.DeepEqual(a, b) }) {
		h.log.Warn("channel changes take effect at the next start; the running channels stay")
	}
	// Routes name only the running channels.
	running := *cfg
	running.Channels = h.cfg.Channels

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
