package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parley-dev/parley/host/admin"
	"github.com/parley-dev/parley/host/internal/browsertest"
	"github.com/parley-dev/parley/host/pluginhost"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/sqlite"
	"github.com/parley-dev/parley/sdk"
	"github.com/prometheus/client_golang/prometheus"
)

// world is a status page over a real SQLite store holding one failed
// delivery.
type world struct {
	url    string
	store  *sqlite.Store
	failed int64
	wakes  atomic.Int32
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, worldOptions{access: admin.Access{Loopback: true}, lastError: "desk answered 400: channel_not_found"})
}

// worldOptions vary the status page's world.
type worldOptions struct {
	access    admin.Access
	redact    func(string) string
	lastError string // of the failed delivery
}

func newWorldWith(t *testing.T, o worldOptions) *world {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.CommitInbound(ctx, store.Inbound{
		UpdateID: 1, ChatID: 42, Contact: sdk.Contact{TelegramUserID: 42, FirstName: "Grace", Username: "grace"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hello"}}, Channels: []string{"desk"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "test", Limit: 1, Lease: time.Minute})
	if err != nil || len(ds) != 1 {
		t.Fatalf("claim: %v, %d rows", err, len(ds))
	}
	if err := st.FailDelivery(ctx, ds[0].ID, "test", o.lastError); err != nil {
		t.Fatal(err)
	}
	w := &world{store: st, failed: ds[0].ID}
	status, err := admin.NewStatus(admin.StatusConfig{
		Plugins: func() []pluginhost.Status {
			return []pluginhost.Status{{Name: "desk", Plugin: "webhook", Version: "1.0.0", State: pluginhost.StateRunning, Restarts: 2,
				LastError: "plugin exited: signal: killed", StartedAt: time.Now().Add(-time.Minute)}}
		},
		Store: st,
		Bots: func() []admin.IntakeState {
			return []admin.IntakeState{{Bot: "default", Mode: "polling", Since: time.Now(), Offset: 2, Updates: 1}}
		},
		Wake:   func() { w.wakes.Add(1) },
		Redact: o.redact,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(admin.Handler(admin.Config{Status: status, Access: o.access, Registry: prometheus.NewRegistry()}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *world) state(t *testing.T) store.State {
	t.Helper()
	rows, err := w.store.Queue(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Kind == "delivery" && r.ID == w.failed {
			return r.State
		}
	}
	t.Fatalf("delivery %d is gone", w.failed)
	return ""
}

func TestStatusPageRetryButtonInBrowser(t *testing.T) {
	b := browsertest.New(t)
	w := newWorld(t)

	browsertest.Do(t, b, 20*time.Second, "opening /status", chromedp.Navigate(w.url+"/status"))
	if got := browsertest.Text(t, b, 5*time.Second, `#plugins tr[data-channel="desk"]`); !strings.Contains(got, "running") ||
		!strings.Contains(got, "signal: killed") {
		t.Errorf("plugin row = %q, want its state and last error", got)
	}
	if got := browsertest.Text(t, b, 5*time.Second, "#failed"); !strings.Contains(got, "channel_not_found") {
		t.Errorf("failed table = %q, want the delivery's last error", got)
	}
	browsertest.Screenshot(t, b, "status-failed")

	browsertest.Do(t, b, 10*time.Second, "clicking Retry now", chromedp.Click(chromedp.CSS(`#failed button.retry`)))
	if got := browsertest.Text(t, b, 10*time.Second, "#flash"); !strings.Contains(got, "queued for a retry") {
		t.Errorf("flash after retry = %q", got)
	}
	if got := browsertest.Text(t, b, 5*time.Second, "#failed"); !strings.Contains(got, "No failed deliveries") {
		t.Errorf("failed table after retry = %q, want it empty", got)
	}
	browsertest.Screenshot(t, b, "status-retried")
	if got := w.state(t); got != store.StatePending {
		t.Errorf("delivery state after retry = %s, want pending", got)
	}
	if w.wakes.Load() != 1 {
		t.Errorf("dispatcher woken %d times, want 1", w.wakes.Load())
	}
}

func TestStatusRetryRefusesForgedRequests(t *testing.T) {
	w := newWorld(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// A visit sets the cookie and yields the page's token.
	resp, err := c.Get(w.url + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field on the page:\n%s", page)
	}
	token := string(m[1])
	id := strconv.FormatInt(w.failed, 10)

	tests := []struct {
		name   string
		client *http.Client
		csrf   string
		want   int
	}{
		{"no token", c, "", http.StatusForbidden},
		{"wrong token", c, "AAAA" + token[4:], http.StatusForbidden},
		{"token without the cookie (another site)", http.DefaultClient, token, http.StatusForbidden},
		{"the page's own form", c, token, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.PostForm(w.url+"/status/retry", url.Values{"csrf": {tt.csrf}, "kind": {"delivery"}, "id": {id}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			wantState := store.StateFailed
			if tt.want == http.StatusSeeOther {
				wantState = store.StatePending
			}
			if got := w.state(t); got != wantState {
				t.Errorf("delivery state = %s, want %s", got, wantState)
			}
		})
	}
}
