package app

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/lifetime"
)

// retention runs the job that deletes finished messages older than
// [retention] messages; it returns at once when they are kept forever.
func (h *host) retention(ctx context.Context) error {
	keep := h.cfg.Retention.Messages.Duration
	if keep <= 0 {
		return nil
	}
	return lifetime.Retention{
		Store: h.store, Keep: keep, Observe: h.metrics.NewRetention().Purged, Log: h.log.Named("retention"),
	}.Run(ctx)
}

// retentionLine says which retention is in force, for parley check.
func retentionLine(cfg *config.Config) string {
	if keep := cfg.Retention.Messages.Duration; keep > 0 {
		return fmt.Sprintf("retention: delivered messages, their file references and replies are deleted after %s (%s); conversations stay",
			keep, lifetime.Days(keep))
	}
	return "retention: customer messages are kept forever (set [retention] messages, e.g. \"90d\", to delete them after a while)"
}

// Forget erases a Telegram user's data from the store and queues a notice
// to every desk the user's conversation was in (parley forget).
func Forget(ctx context.Context, cfg *config.Config, telegramUserID int64, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := lifetime.Forget(ctx, st, telegramUserID)
	if err != nil {
		return fmt.Errorf("%w (nothing half done stays: run the same command again to finish)", err)
	}
	fmt.Fprintln(out, lifetime.Describe(telegramUserID, f))
	return nil
}
