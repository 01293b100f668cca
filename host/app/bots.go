package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/admin"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/httpserver"
	"github.com/parley-dev/parley/host/inbound"
	"github.com/parley-dev/parley/host/logging"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/files"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/sdk"
)

// bot is one configured bot running in this host: its Telegram client
// (a sender with its own rate limits, a file client for its token), its
// intake (a poller under its own lease, or a webhook handler) and its
// status. One bot's bad token or outage stays its own: it is retried and
// shown on the status page while the other bots run on.
type bot struct {
	h       *host
	cfg     config.Telegram
	log     hclog.Logger
	tg      *telegramClient
	handler *inbound.Handler
	status  *IntakeStatus
	handle  func(context.Context, []intake.Update) error
	// secret is the webhook's secret_token (webhook mode).
	secret  string
	webhook *intake.WebhookHandler
	// ready is set once Telegram answered getMe; webhook requests before
	// that get 503 and Telegram retries them.
	ready   atomic.Bool
	leading atomic.Bool
	stop    context.CancelFunc
	done    chan struct{}
}

// botRetryMax bounds the wait between attempts of a bot that failed (a
// rejected token, an unreachable Telegram).
const botRetryMax = time.Minute

// newBot builds a bot from its config; nothing runs until start.
func (h *host) newBot(ctx context.Context, cfg config.Telegram) (*bot, error) {
	b := &bot{h: h, cfg: cfg, log: h.log.Named("bot").With("bot", cfg.Name)}
	var err error
	if b.tg, err = newTelegramClient(cfg, h.httpClient, b.log.Named("telegram"), h.metrics.ForBot(cfg.Name)); err != nil {
		return nil, fmt.Errorf("bot %s: %w", cfg.Name, err)
	}
	b.tg.buttons = h.buttons
	if cfg.Mode == config.ModeWebhook {
		if b.secret, err = h.loadWebhookSecret(ctx, cfg.Name); err != nil {
			return nil, err
		}
	}
	b.handler = &inbound.Handler{
		Bot: cfg.Name, Store: h.store, Router: h.router, Welcome: cfg.WelcomeMessage,
		Policy: intakePolicy(h.cfg.Conversations), Notify: h.disp.Notify, Lifecycle: h.lifecycle,
		Buttons: h.buttons, Answer: b.tg.sender.AnswerCallback, Thanks: h.cfg.Conversations.Rating.Thanks,
		Log: b.log.Named("intake"), Observer: h.metrics.ForBot(cfg.Name), FetchBusiness: b.tg.fetchBusiness, Business: h.business,
		Photos: h.photos.Enqueue,
	}
	if cfg.Hours != nil {
		b.handler.Hours = cfg.Hours.Away
	}
	b.status = NewIntakeStatus(cfg.Mode, time.Now())
	b.status.SetBot(cfg.Name, "", stateStarting)
	b.handle = b.status.Observe(b.handler.Handle)
	if cfg.Mode == config.ModeWebhook {
		b.webhook = &intake.WebhookHandler{Secret: b.secret, Handler: b.handle, MaxBody: h.cfg.Server.MaxBodyBytes,
			Logger: logging.Slog(b.log.Named("intake"))}
	}
	return b, nil
}

// Bot states on the status page.
const (
	stateStarting = "starting"
	stateRunning  = "running"
	stateStandby  = "standby: another replica polls"
	stateFailed   = "failed"
	stateStopped  = "stopped"
)

// start runs the bot until stopBot or ctx ends.
func (b *bot) start(ctx context.Context) {
	ctx, b.stop = context.WithCancel(ctx)
	b.done = make(chan struct{})
	go func() {
		defer close(b.done)
		b.run(ctx)
	}()
}

// stopBot stops the bot and waits for its intake to return: a batch being
// committed finishes first, so nothing acknowledged is lost.
func (b *bot) stopBot() {
	if b.stop != nil {
		b.stop()
		<-b.done
	}
	b.status.SetBot(b.cfg.Name, "", stateStopped)
}

// run asks Telegram who the bot is, then receives its updates; a failure
// (a rejected token, an outage) is the bot's error, retried with backoff.
func (b *bot) run(ctx context.Context) {
	wait := time.Second
	optsSet := false
	for ctx.Err() == nil {
		me, err := b.tg.waitForTelegram(ctx)
		if err == nil && me == nil {
			return // ctx ended
		}
		if err == nil {
			if !optsSet {
				b.handler.Opts = normalize.Options{BotUsername: me.Username, BotID: me.ID}
				optsSet = true
			}
			b.status.SetBot(b.cfg.Name, me.Username, stateRunning)
			b.log.Info("Telegram bot ready", "username", "@"+me.Username, "mode", b.cfg.Mode)
			b.ready.Store(true) // publishes handler.Opts to webhook requests
			err = b.runIntake(ctx)
			if err == nil || ctx.Err() != nil {
				return
			}
			wait = time.Second
		}
		b.ready.Store(false)
		b.status.Fail(err)
		b.log.Error("the bot stopped; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, botRetryMax)
	}
}

// runIntake receives the bot's updates until ctx ends: in webhook mode the
// public listener does (this only registers the webhook); in polling mode
// the replica that holds the bot's poller lease polls.
func (b *bot) runIntake(ctx context.Context) error {
	if b.cfg.Mode == config.ModeWebhook {
		return b.registerWebhook(ctx)
	}
	return b.pollWhileLeading(ctx)
}

// leaseName is the bot's poller lease (store.PollerLease).
func leaseName(botName string) string { return store.PollerLease(botName) }

// ServeHTTP serves Telegram's webhook requests for the bot.
func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.webhook == nil || !b.ready.Load() {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "starting: Telegram not reached yet", http.StatusServiceUnavailable)
		return
	}
	b.webhook.ServeHTTP(w, r)
}

// botSet is the bots of this host, by name and by webhook path. A reload
// replaces bots in it while the others run on.
type botSet struct {
	mu     sync.RWMutex
	byName map[string]*bot
	byPath map[string]*bot
	order  []string
}

func newBotSet() *botSet {
	return &botSet{byName: map[string]*bot{}, byPath: map[string]*bot{}}
}

// get returns the named bot.
func (s *botSet) get(name string) (*bot, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.byName[store.BotOr(name)]
	return b, ok
}

// put adds or replaces a bot (a replaced one is returned, not stopped).
func (s *botSet) put(b *bot) *bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.byName[b.cfg.Name]
	if old != nil && s.byPath[old.cfg.WebhookPath] == old {
		delete(s.byPath, old.cfg.WebhookPath)
	}
	s.byName[b.cfg.Name] = b
	if b.cfg.Mode == config.ModeWebhook {
		s.byPath[b.cfg.WebhookPath] = b
	}
	if !slices.Contains(s.order, b.cfg.Name) {
		s.order = append(s.order, b.cfg.Name)
	}
	return old
}

// remove takes the named bot out (not stopped).
func (s *botSet) remove(name string) *bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.byName[name]
	if b == nil {
		return nil
	}
	delete(s.byName, name)
	if s.byPath[b.cfg.WebhookPath] == b {
		delete(s.byPath, b.cfg.WebhookPath)
	}
	s.order = slices.DeleteFunc(s.order, func(n string) bool { return n == name })
	return b
}

// all returns the bots in config order.
func (s *botSet) all() []*bot {
	if s == nil { // a host built without bots (unit tests)
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*bot, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.byName[n])
	}
	return out
}

// telegram finds the Telegram a bot's replies leave through (dispatch).
func (s *botSet) telegram(name string) (dispatch.Telegram, bool) {
	b, ok := s.get(name)
	if !ok {
		return nil, false
	}
	return b.tg, true
}

// typing shows "typing…" in chatID of bot (a desk's typing action); an
// unknown bot shows nothing.
func (s *botSet) typing(bot string, chatID int64) {
	if b, ok := s.get(store.BotOr(bot)); ok {
		b.tg.typing.Start(chatID)
	}
}

// profilePhoto looks up the photo of c's customer through c's bot
// (avatar.Lookup): file ids belong to the bot that fetched them.
func (s *botSet) profilePhoto(ctx context.Context, c store.Conversation) (string, error) {
	b, ok := s.get(store.BotOr(c.Bot))
	if !ok {
		return "", fmt.Errorf("no bot %q", c.Bot)
	}
	id, err := b.tg.profilePhoto(ctx, c.Contact.TelegramUserID)
	if err != nil || id == "" {
		return id, err
	}
	return files.Ref(b.cfg.Name, id), nil
}

// ServeHTTP routes a webhook request to the bot of its path. An unknown
// path is a 404 that costs no store access.
func (s *botSet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	b := s.byPath[r.URL.Path]
	s.mu.RUnlock()
	if b == nil {
		http.NotFound(w, r)
		return
	}
	b.ServeHTTP(w, r)
}

// fileBot finds the bot of a file reference (files.Ref).
func (s *botSet) fileBot(ref string) (*bot, string, error) {
	name, fileID := files.ParseRef(ref)
	b, ok := s.get(name)
	if !ok {
		return nil, "", fmt.Errorf("%w: bot %q is not configured", files.ErrNotFound, name)
	}
	return b, fileID, nil
}

// Open implements httpserver.FileOpener with the token of the file's bot.
func (s *botSet) Open(ctx context.Context, ref string) (io.ReadCloser, int64, error) {
	b, fileID, err := s.fileBot(ref)
	if err != nil {
		return nil, 0, err
	}
	return b.tg.Open(ctx, fileID)
}

// OpenFile implements FileSource (Host.OpenFile) with the token of the
// file's bot.
func (s *botSet) OpenFile(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	b, fileID, err := s.fileBot(ref)
	if err != nil {
		return nil, sdk.FileInfo{}, sdk.Permanent(err)
	}
	return b.tg.OpenFile(ctx, fileID)
}

// leads lists the poller leases this replica holds.
func (s *botSet) leads() []string {
	var out []string
	for _, b := range s.all() {
		if b.leading.Load() {
			out = append(out, leaseName(b.cfg.Name))
		}
	}
	return out
}

// states reports every bot for the status page.
func (s *botSet) states() []admin.IntakeState {
	var out []admin.IntakeState
	for _, b := range s.all() {
		st := b.status.State()
		if b.cfg.Mode == config.ModeWebhook {
			st.Webhook = b.cfg.WebhookPath
		}
		out = append(out, st)
	}
	return out
}

// webhookSecretName is the store secret behind the default bot's
// setWebhook secret_token; other bots add ":<bot>". Created once, shared
// by every replica.
const webhookSecretName = "telegram-webhook-secret"

// loadWebhookSecret reads (or creates once) the secret_token every replica
// checks on Telegram's webhook requests for the bot.
func (h *host) loadWebhookSecret(ctx context.Context, botName string) (string, error) {
	name := webhookSecretName
	if botName != store.DefaultBot {
		name += ":" + botName
	}
	b, err := secretRetrying(ctx, h, "reading the webhook secret", name)
	if err != nil {
		return "", fmt.Errorf("webhook secret of bot %s: %w", botName, err)
	}
	// Telegram allows A-Z, a-z, 0-9, _ and - in a secret_token.
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// registerWebhook points Telegram at the bot's webhook URL with its
// secret token, retrying until Telegram accepts; a rejected token ends it.
func (b *bot) registerWebhook(ctx context.Context) error {
	url := strings.TrimRight(b.h.cfg.Server.PublicURL, "/") + b.cfg.WebhookPath
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := intake.SetWebhook(cctx, b.cfg.APIURL, b.cfg.Token, b.h.httpClient, url, b.secret, allowedUpdates)
		cancel()
		if err == nil {
			b.log.Info("Telegram delivers updates by webhook", "url", url)
			<-ctx.Done()
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, intake.ErrUnauthorized) {
			return err
		}
		wait := min(time.Duration(attempt)*2*time.Second, time.Minute)
		b.status.Fail(err)
		b.log.Error("setWebhook failed; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// pollWhileLeading polls Telegram whenever this replica holds the bot's
// poller lease, and stops as soon as it loses it.
func (b *bot) pollWhileLeading(ctx context.Context) error {
	h, lease := b.h, leaseName(b.cfg.Name)
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
			b.leading.Store(false)
		}
	}
	defer func() {
		stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = h.store.ReleaseLead(rctx, lease, h.owner)
	}()
	tick := time.NewTicker(leadRenew)
	defer tick.Stop()
	for {
		ok, err := h.store.TryLead(ctx, lease, h.owner, leadTTL)
		if err != nil && ctx.Err() == nil {
			b.log.Warn("could not renew the poller lease; pausing polling", "error", err)
		}
		switch {
		case ok && !leading:
			b.log.Info("this replica now polls Telegram")
			b.status.SetBot(b.cfg.Name, "", stateRunning)
			pctx, cancel := context.WithCancel(ctx)
			stopPoll, pollDone, leading = cancel, make(chan error, 1), true
			b.leading.Store(true)
			go func(done chan<- error) {
				done <- b.tg.poll(pctx, b.handle, func(ctx context.Context) (int64, error) {
					return h.store.TelegramOffset(ctx, b.cfg.Name)
				}, b.log.Named("intake"))
			}(pollDone)
		case !ok && leading:
			b.log.Warn("this replica lost the poller lease; another one polls now")
			stop()
		case !ok && !leading && err == nil:
			b.status.SetBot(b.cfg.Name, "", stateStandby)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-pollDone:
			leading, pollDone = false, nil
			b.leading.Store(false)
			if err != nil {
				return err
			}
		case <-tick.C:
		}
	}
}

var (
	_ httpserver.FileOpener = (*botSet)(nil)
	_ FileSource            = (*botSet)(nil)
)
