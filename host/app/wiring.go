package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/pluginhost"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/postgres"
	"github.com/parley-dev/parley/host/store/sqlite"
	"github.com/parley-dev/parley/sdk"
)

// openStore opens the configured store driver. attach opens it beside a
// running host (for short CLI commands) instead of owning it.
func openStore(ctx context.Context, cfg *config.Config, log hclog.Logger, attach bool) (store.Store, error) {
	st, err := openDriver(ctx, cfg, log, attach)
	if err != nil {
		return nil, err
	}
	// Every close, the CLI's included, asks for a rating the same way.
	if r := cfg.Conversations.Rating; r.Enabled {
		st.SetRatingPolicy(store.RatingPolicy{Question: r.Question, AfterIdleClose: r.AfterIdleClose})
	}
	// And every first reply or claim sets the seen reaction.
	st.SetSeenReaction(cfg.Conversations.SeenReaction)
	return st, nil
}

// openDriver opens the configured store driver.
func openDriver(ctx context.Context, cfg *config.Config, log hclog.Logger, attach bool) (store.Store, error) {
	switch cfg.Store.Driver {
	case "sqlite", "":
		st, err := sqlite.Open(ctx, cfg.Store.DSN, sqlite.Options{Logger: log.Named("store"), Attach: attach})
		if err != nil {
			return nil, err
		}
		return st, nil
	case "postgres":
		// Replicas share the database, so there is nothing to attach
		// beside: a short CLI command opens it like a host does.
		st, err := postgres.Open(ctx, cfg.Store.DSN, postgres.Options{Logger: log.Named("store")})
		if err != nil {
			return nil, err
		}
		return st, nil
	default:
		return nil, fmt.Errorf("store driver %q is not available in this build", cfg.Store.Driver)
	}
}

// specOf turns a config channel into a plugin spec.
func specOf(ch config.Channel) (pluginhost.Spec, error) {
	raw, err := ch.ConfigJSON()
	if err != nil {
		return pluginhost.Spec{}, err
	}
	return pluginhost.Spec{Name: ch.Name, Plugin: ch.Plugin, SHA256: ch.SHA256, Config: raw, Env: ch.Env}, nil
}

// configureInProcess configures a channel that runs inside the host.
func configureInProcess(ctx context.Context, ch config.Channel, impl sdk.Channel, cfg *config.Config, h *host) error {
	raw, err := ch.ConfigJSON()
	if err != nil {
		return err
	}
	hook := ""
	if cfg.Server.PublicURL != "" {
		hook = strings.TrimRight(cfg.Server.PublicURL, "/") + "/hooks/" + ch.Name
	}
	resp, err := impl.Configure(ctx, sdk.ConfigureRequest{
		ChannelName: ch.Name, Config: raw, HookBaseURL: hook,
		Host:   h.hostFor(ch.Name),
		Logger: h.log.Named("channel." + ch.Name),
	})
	if err != nil {
		return fmt.Errorf("channel %s: configure: %w", ch.Name, err)
	}
	if len(resp.Errors) > 0 {
		var lines []string
		for _, e := range resp.Errors {
			lines = append(lines, fmt.Sprintf("channels.%s.config.%s: %s", ch.Name, e.Key, e.Message))
		}
		return fmt.Errorf("channel %s rejected its config:\n  %s", ch.Name, strings.Join(lines, "\n  "))
	}
	return nil
}
