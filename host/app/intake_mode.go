package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/logging"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/postgres"
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
				done <- h.tg.poll(pctx, handle, func(ctx context.Context) (int64, error) {
					return h.store.TelegramOffset(ctx, store.DefaultBot)
				}, log)
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
		Logger:  logging.Slog(h.log.Named("intake")),
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
	b, err := secretRetrying(ctx, h, "reading the webhook secret", webhookSecretName)
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	// Telegram allows A-Z, a-z, 0-9, _ and - in a secret_token.
	h.webhookSecret = base64.RawURLEncoding.EncodeToString(b)
	return nil
}

// Heartbeat timing. A replica beats every heartbeatEvery; one silent for
// reclaimAfter is taken for dead, and the next replica to beat cuts its
// leases short so its conversations move on within seconds of a crash
// instead of when the leases run out (45 s for a delivery, 135 s for a
// reply; a killed process restarts under a new owner name and cannot take
// its own work back). The margin is seven missed beats: a beat is one
// small upsert, so its jitter (scheduling, GC, a slow statement, a
// connection the database just dropped, which costs one beat) is well under
// a second, and a live replica must fail to reach the database for 15 s
// straight to be taken for dead. Even then it loses only rows another
// replica claims meanwhile (those are delivered twice, as after a lease
// that ran out); the rest it still finishes. The poller's leadership needs
// none of this: its own lease is shorter (leadTTL).
const (
	heartbeatEvery = 2 * time.Second
	reclaimAfter   = 15 * time.Second
)

// replicaReaper is a store whose replicas hand each other the work of the
// dead (the PostgreSQL driver; SQLite, with one host, frees a dead
// process's leases at start instead).
type replicaReaper interface {
	ReclaimDeadLeases(ctx context.Context, silence time.Duration) (postgres.Reclaimed, error)
	RetireReplica(ctx context.Context, owner string) error
}

var _ replicaReaper = (*postgres.Store)(nil)

// heartbeat tells the store this replica is alive and what it leads, and
// after each beat takes back the work of replicas that stopped beating.
func (h *host) heartbeat(ctx context.Context) error {
	hostname, _ := os.Hostname()
	started := time.Now()
	reaper, _ := h.store.(replicaReaper)
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		var leads []string
		if h.isLeading() {
			leads = []string{pollerLease}
		}
		err := h.store.Heartbeat(ctx, store.Replica{
			Owner: h.owner, Hostname: hostname, PID: os.Getpid(), Version: version.Version,
			Leads: leads, StartedAt: started, SeenAt: time.Now(),
		})
		if err != nil && ctx.Err() == nil {
			h.log.Warn("heartbeat failed", "error", err)
		}
		if err == nil && reaper != nil {
			h.reclaim(ctx, reaper)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reclaim cuts short the leases of replicas silent for reclaimAfter.
func (h *host) reclaim(ctx context.Context, reaper replicaReaper) {
	got, err := reaper.ReclaimDeadLeases(ctx, reclaimAfter)
	switch {
	case err != nil && ctx.Err() == nil:
		h.log.Warn("could not take back the work of stopped replicas", "error", err)
	case len(got.Replicas) > 0:
		h.log.Info("took back the work of replicas that stopped heartbeating", "replicas", strings.Join(got.Replicas, ","),
			"deliveries", got.Deliveries, "replies", got.Replies, "silent_for", reclaimAfter)
		if got.Deliveries+got.Replies > 0 && h.disp != nil {
			h.disp.Notify()
		}
	}
}

// retire hands this replica's remaining leases over on a graceful stop,
// once its workers have returned.
func (h *host) retire() {
	reaper, ok := h.store.(replicaReaper)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := reaper.RetireReplica(ctx, h.owner); err != nil {
		h.log.Warn("could not hand this replica's leases over; other replicas take them when they run out", "error", err)
	}
}

func (h *host) setLeading(v bool) { h.leading.Store(v) }
func (h *host) isLeading() bool   { return h.leading.Load() }
