package app

import (
	"context"
	"time"

	"github.com/parley-dev/parley/host/config"
)

// expireMenus routes, by default, the conversations whose menu got no tap
// within the menu's timeout, on every replica (the store routes each
// once). It runs even without a menu configured, for menus asked before
// the menu was removed.
func (h *host) expireMenus(ctx context.Context) error {
	// One timeout for every bot's menus: the longest configured. The store
	// expires menus by age alone, so a bot with a shorter timeout waits as
	// long as the longest (a tap still routes meanwhile); the default route
	// is each conversation's own bot's.
	timeout := time.Duration(0)
	for _, b := range h.cfg.Bots() {
		if b.Menu != nil {
			timeout = max(timeout, b.Menu.Timeout.Duration)
		}
	}
	if timeout == 0 {
		timeout = config.DefaultMenuTimeout
	}
	// A menu waits at most a quarter of its timeout longer than asked.
	every := min(max(timeout/4, 100*time.Millisecond), 30*time.Second)
	const batch = 100
	t := time.NewTicker(every)
	defer t.Stop()
	log := h.log.Named("routing")
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for {
			n, err := h.store.ExpireMenus(ctx, time.Now().Add(-timeout), batch, h.router.Default)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				log.Warn("routing conversations whose menu timed out", "error", err)
				break
			}
			if n > 0 {
				log.Info("menus timed out; conversations take the default route", "conversations", n)
				h.disp.Notify()
			}
			if n < batch {
				break
			}
		}
	}
}
