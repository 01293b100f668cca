package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/pluginhost"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// StatusStore is the part of the store the status page reads and acts on.
type StatusStore interface {
	Conversations(ctx context.Context, limit int) ([]store.Conversation, error)
	Backlog(ctx context.Context) ([]store.Backlog, error)
	Queue(ctx context.Context, limit int, states ...store.State) ([]store.QueueRow, error)
	RetryNow(ctx context.Context, kind string, id int64) error
}

// businessLister is a StatusStore that knows Telegram Business
// connections (store.Business); the page lists them when it is one.
type businessLister interface {
	BusinessConnections(ctx context.Context) ([]store.BusinessConnection, error)
}

// stateCounter is a StatusStore that counts conversations by lifecycle
// state (store.Lifecycle); the page shows the counts when it is one.
type stateCounter interface {
	CountByState(ctx context.Context) (map[sdk.ConversationState]int, error)
}

// IntakeState is what the status page says about one bot's Telegram
// intake.
type IntakeState struct {
	// Bot is the bot's config name; Username its @username once getMe
	// answered.
	Bot      string
	Username string
	// State is what the bot does: "starting", "running", "standby:
	// another replica polls", "failed" (LastError says why), "stopped".
	State string
	// Mode is "polling" or "webhook"; Webhook is the webhook's path.
	Mode    string
	Webhook string
	// Since is when intake started.
	Since time.Time
	// LastBatch is when updates were last committed; zero if none yet.
	LastBatch time.Time
	// Updates counts the updates committed since Since.
	Updates int64
	// Offset is the next update id asked for; 0 before the first batch.
	Offset int64
	// LastError is the latest failure to commit a batch ("" if none), at
	// LastErrorAt.
	LastError   string
	LastErrorAt time.Time
}

// ConfigState is what the status page says about the configuration.
type ConfigState struct {
	// LoadedAt is when the running config was loaded; Revision is the
	// sha256 of its file, in hex.
	LoadedAt time.Time
	Revision string
	// LastError is why the latest reload was rejected ("" if it was not),
	// at LastErrorAt; the running config stayed.
	LastError   string
	LastErrorAt time.Time
}

// StatusConfig gathers what the status page shows and acts on.
type StatusConfig struct {
	// Plugins reports every configured channel's plugin.
	Plugins func() []pluginhost.Status
	Store   StatusStore
	// Bots reports each bot's Telegram intake; nil leaves the section out.
	Bots func() []IntakeState
	// Config reports when the config was last loaded and its revision;
	// nil leaves it out.
	Config func() ConfigState
	// Wake tells the dispatcher that work is ready (after a retry).
	Wake func()
	// Redact removes configured secrets from the text the page shows (last
	// errors, problems); nil shows it as is.
	Redact func(string) string
	Logger hclog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

//go:embed templates/status.html
var templatesFS embed.FS

// csrfCookie holds the browser's nonce; the form carries its HMAC.
const csrfCookie = "parley_admin_csrf"

// listLimit bounds each table on the page.
const listLimit = 50

// statusPage serves /status and POST /status/retry.
type statusPage struct {
	c      StatusConfig
	tmpl   *template.Template
	secret []byte
}

// NewStatus returns the /status handler for Config.Status.
//
// Retrying is a state change, so its form is guarded against cross-site
// requests: a random per-process secret signs a per-browser nonce kept in a
// SameSite=Strict cookie, and the POST must carry that signature in a hidden
// field (a signed double-submit token).
func NewStatus(c StatusConfig) (http.Handler, error) {
	if c.Plugins == nil || c.Store == nil {
		return nil, errors.New("admin status: Plugins and Store are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Wake == nil {
		c.Wake = func() {}
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Redact == nil {
		c.Redact = func(s string) string { return s }
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("admin status: csrf secret: %w", err)
	}
	tmpl, err := template.New("status.html").Funcs(template.FuncMap{
		"ago": func(t time.Time) string { return ago(c.Now(), t) },
		"ms":  func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	}).ParseFS(templatesFS, "templates/status.html")
	if err != nil {
		return nil, err
	}
	p := &statusPage{c: c, tmpl: tmpl, secret: secret}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", p.show)
	mux.HandleFunc("POST /status/retry", p.retry)
	mux.HandleFunc("POST /status/forget", p.forget) // forget.go
	return mux, nil
}

// view is the template's data.
type view struct {
	Now           time.Time
	Plugins       []pluginhost.Status
	Bots          []IntakeState
	Config        *ConfigState
	Backlog       []store.Backlog
	Failed        []store.QueueRow
	Conversations []store.Conversation
	// States counts conversations by state; nil when the store cannot.
	States map[string]int
	// Business lists the Telegram Business connections; nil when the
	// store cannot.
	Business []store.BusinessConnection
	CSRF     string
	Flash    string
	Problems []string
	// Authenticated viewers see customer names and may change things;
	// others see ids only (see Access).
	Authenticated bool
}

func (p *statusPage) show(w http.ResponseWriter, r *http.Request) {
	nonce := p.nonce(w, r)
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v := view{Now: p.c.Now(), Plugins: p.c.Plugins(), CSRF: p.sign(nonce), Flash: r.URL.Query().Get("flash"),
		Authenticated: authenticated(r.Context())}
	if p.c.Bots != nil {
		v.Bots = p.c.Bots()
	}
	if p.c.Config != nil {
		cs := p.c.Config()
		v.Config = &cs
	}
	// Each section is read on its own, so one failing query still leaves
	// the rest of the page for the operator.
	var err error
	if v.Backlog, err = p.c.Store.Backlog(ctx); err != nil {
		v.Problems = append(v.Problems, "backlog: "+err.Error())
	}
	sort.Slice(v.Backlog, func(i, j int) bool { return v.Backlog[i].Channel < v.Backlog[j].Channel })
	if v.Failed, err = p.c.Store.Queue(ctx, listLimit, store.StateFailed); err != nil {
		v.Problems = append(v.Problems, "failed deliveries: "+err.Error())
	}
	if sc, ok := p.c.Store.(stateCounter); ok {
		counts, err := sc.CountByState(ctx)
		if err != nil {
			v.Problems = append(v.Problems, "conversation states: "+err.Error())
		}
		if counts != nil {
			v.States = map[string]int{}
			for st, n := range counts {
				v.States[string(st)] = n
			}
		}
	}
	if bl, ok := p.c.Store.(businessLister); ok {
		if v.Business, err = bl.BusinessConnections(ctx); err != nil {
			v.Problems = append(v.Problems, "Business connections: "+err.Error())
		}
	}
	if v.Conversations, err = p.c.Store.Conversations(ctx, listLimit); err != nil {
		v.Problems = append(v.Problems, "conversations: "+err.Error())
	}
	if !v.Authenticated {
		for i := range v.Conversations {
			v.Conversations[i].Contact = sdk.Contact{TelegramUserID: v.Conversations[i].Contact.TelegramUserID}
		}
	}
	p.redact(&v)
	setPageHeaders(w)
	if err := p.tmpl.Execute(w, v); err != nil {
		p.c.Logger.Warn("rendering the status page", "error", err)
	}
}

// redact removes configured secrets from every text on the page that
// comes from errors, plugins or the URL. Add new text fields here.
func (p *statusPage) redact(v *view) {
	r := p.c.Redact
	v.Flash = r(v.Flash)
	for i := range v.Problems {
		v.Problems[i] = r(v.Problems[i])
	}
	for i := range v.Plugins {
		v.Plugins[i].LastError = r(v.Plugins[i].LastError)
		v.Plugins[i].Version = r(v.Plugins[i].Version)
	}
	for i := range v.Bots {
		v.Bots[i].LastError = r(v.Bots[i].LastError)
	}
	if v.Config != nil {
		v.Config.LastError = r(v.Config.LastError)
	}
	for i := range v.Failed {
		v.Failed[i].LastError = r(v.Failed[i].LastError)
	}
}

func (p *statusPage) retry(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	cookie, err := r.Cookie(csrfCookie)
	if err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(p.sign(cookie.Value))) {
		http.Error(w, "invalid or missing CSRF token: reload the status page and try again", http.StatusForbidden)
		return
	}
	kind := r.PostForm.Get("kind")
	if kind == "all" {
		p.retryAll(w, r, r.PostForm.Get("channel"))
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("id"), 10, 64)
	if (kind != "delivery" && kind != "reply") || err != nil {
		http.Error(w, "kind must be delivery or reply and id a number", http.StatusBadRequest)
		return
	}
	flash := fmt.Sprintf("%s %d queued for a retry now", kind, id)
	switch err := p.c.Store.RetryNow(r.Context(), kind, id); {
	case errors.Is(err, store.ErrNotFound):
		flash = fmt.Sprintf("%s %d no longer exists", kind, id)
	case err != nil:
		p.c.Logger.Warn("retry from the status page", "kind", kind, "id", id, "error", err)
		http.Error(w, "retry failed: "+p.c.Redact(err.Error()), http.StatusInternalServerError)
		return
	default:
		p.c.Logger.Info("retry requested from the status page", "kind", kind, "id", id)
		p.c.Wake()
	}
	// Post/redirect/get: a reload does not retry twice.
	http.Redirect(w, r, "/status?flash="+url.QueryEscape(flash), http.StatusSeeOther)
}

// retryAll retries every failed row of channel ("" for all), when the
// store can (store.FailedRetrier); the caller checked the CSRF token.
func (p *statusPage) retryAll(w http.ResponseWriter, r *http.Request, channel string) {
	fr, ok := p.c.Store.(store.FailedRetrier)
	if !ok {
		http.Error(w, "this store cannot retry rows in bulk", http.StatusNotImplemented)
		return
	}
	n, err := fr.RetryFailed(r.Context(), channel)
	if err != nil {
		p.c.Logger.Warn("retry of all failed rows from the status page", "channel", channel, "error", err)
		http.Error(w, "retry failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	p.c.Logger.Info("retry of all failed rows requested from the status page", "channel", channel, "rows", n)
	p.c.Wake()
	flash := fmt.Sprintf("%d failed rows queued for a retry now", n)
	if channel != "" {
		flash = fmt.Sprintf("%d failed rows of %s queued for a retry now", n, channel)
	}
	http.Redirect(w, r, "/status?flash="+url.QueryEscape(flash), http.StatusSeeOther)
}

// nonce returns the browser's CSRF nonce, issuing one on first visit.
func (p *statusPage) nonce(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 16 {
		return c.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/status", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return v
}

func (p *statusPage) sign(nonce string) string {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ago renders t relative to now for humans ("3m ago"); "never" for zero.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + (-d).Round(time.Second).String()
	case d < time.Second:
		return "just now"
	case d < time.Hour:
		return d.Round(time.Second).String() + " ago"
	case d < 48*time.Hour:
		return d.Round(time.Minute).String() + " ago"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
