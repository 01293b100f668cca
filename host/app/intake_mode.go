package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/version"
)

// pollerLease names the leadership that lets one replica poll Telegram.
const pollerLease = "telegram-poller"

// Leadership timing: the poller renews every leadRenew; a dead poller's
// lease runs out after leadTTL, and another replica, trying every
// leadRenew, takes over within leadTTL+leadRenew (8 s).
const (
	leadTTL   = 6 * time.Second
	leadRenew = 2 * time.Second
)

// webhookSecretName is the store secret behind setWebhook's secret_token:
// created once, shared by every replica.
const webhookSecretName = "telegram-webhook-secret"

// runIntake receives Telegram updates until ctx ends: in webhook mode the
// public listener does (this only registers the webhook); in polling mode
// the replica that holds the poller lease polls.
func (h *host) runIntake(ctx context.Context, handle func(context.Context, []intake.Update) error) error {
	if h.cfg.Telegram.Mode == config.ModeWebhook {
		return h.registerWebhook(ctx)
	}
	return h.pollWhileLeading(ctx, handle)
}

// pollWhileLeading polls Telegram whenever this replica holds the poller
// lease, and stops as soon as it loses it.
func (h *host) pollWhileLeading(ctx context.Context, handle func(context.Context, []intake.Update) error) error {
	log := h.log.Named("intake")
	var (
		leading  bool
		stopPoll context.CancelFunc
		pollDone chan error
	)
	stop := func() {
		if leading {
			stopPoll()
			<-pollDone
			leading, pollDone = false, nil
			h.setLeading(false)
		}
	}
	defer func() {
		stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = h.store.ReleaseLead(rctx, pollerLease, h.owner)
	}()
	tick := time.NewTicker(leadRenew)
	defer tick.Stop()
	for {
		ok, err := h.store.TryLead(ctx, pollerLease, h.owner, leadTTL)
		if err != nil && ctx.Err() == nil {
			log.Warn("could not renew the poller lease; pausing polling", "error", err)
		}
		switch {
		case ok && !leading:
			log.Info("this replica now polls Telegram")
			pctx, cancel := context.WithCancel(ctx)
			stopPoll, pollDone, leading = cancel, make(chan error, 1), true
			h.setLeading(true)
			go func(done chan<- error) {
				done <- h.tg.poll(pctx, handle, h.store.TelegramOffset, log)
			}(pollDone)
		case !ok && leading:
			log.Warn("this replica lost the poller lease; another one polls now")
			stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-pollDone:
			leading, pollDone = false, nil
			h.setLeading(false)
			if err != nil {
				return err
			}
		case <-tick.C:
		}
	}
}

// registerWebhook points Telegram at this installation's webhook URL with
// the shared secret token, retrying until Telegram accepts.
func (h *host) registerWebhook(ctx context.Context) error {
	url := strings.TrimRight(h.cfg.Server.PublicURL, "/") + h.cfg.Telegram.WebhookPath
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := intake.SetWebhook(cctx, h.cfg.Telegram.APIURL, h.cfg.Telegram.Token, nil, url, h.webhookSecret, allowedUpdates)
		cancel()
		if err == nil {
			h.log.Info("Telegram delivers updates by webhook", "url", url)
			<-ctx.Done()
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := min(time.Duration(attempt)*2*time.Second, time.Minute)
		h.log.Error("setWebhook failed; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// webhookHandler serves Telegram's POSTs in webhook mode; nil otherwise.
func (h *host) webhookHandler(handle func(context.Context, []intake.Update) error) http.Handler {
	if h.cfg.Telegram.Mode != config.ModeWebhook {
		return nil
	}
	wh := &intake.WebhookHandler{
		Secret:  h.webhookSecret,
		Handler: handle,
		MaxBody: h.cfg.Server.MaxBodyBytes,
		Logger:  slog.New(hclogHandler{h.log.Named("intake")}),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.intakeReady.Load() {
			w.Header().Set("Retry-After", "5")
			http.Error(w, "starting: Telegram not reached yet", http.StatusServiceUnavailable)
			return
		}
		wh.ServeHTTP(w, r)
	})
}

// loadWebhookSecret reads (or creates once) the secret_token every replica
// checks on Telegram's webhook requests.
func (h *host) loadWebhookSecret(ctx context.Context) error {
	b, err := h.store.Secret(ctx, webhookSecretName, randomBytes(32))
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	// Telegram allows A-Z, a-z, 0-9, _ and - in a secret_token.
	h.webhookSecret = base64.RawURLEncoding.EncodeToString(b)
	return nil
}

// heartbeat tells the store this replica is alive and what it leads.
func (h *host) heartbeat(ctx context.Context) error {
	hostname, _ := os.Hostname()
	started := time.Now()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		var leads []string
		if h.isLeading() {
			leads = []string{pollerLease}
		}
		if err := h.store.Heartbeat(ctx, store.Replica{
			Owner: h.owner, Hostname: hostname, PID: os.Getpid(), Version: version.Version,
			Leads: leads, StartedAt: started, SeenAt: time.Now(),
		}); err != nil && ctx.Err() == nil {
			h.log.Warn("heartbeat failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (h *host) setLeading(v bool) { h.leading.Store(v) }
func (h *host) isLeading() bool   { return h.leading.Load() }
