package hcapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

const token = "hipchat-token-must-not-leak"

// recorder is a server that records the Authorization header of each
// request it gets.
type recorder struct {
	mu   sync.Mutex
	auth []string
}

func (r *recorder) handler(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		next(w, req)
	}
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

func noContent(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

// A server configured as https that redirects to plain http on the same
// host (another port) must not get the token sent in clear text; net/http
// alone would send it, as it compares host names only.
func TestTokenNeverFollowsRedirectToHTTP(t *testing.T) {
	var plain recorder
	httpSrv := httptest.NewServer(plain.handler(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/files/") {
			_, _ = io.WriteString(w, "file body")
			return
		}
		noContent(w, r)
	}))
	defer httpSrv.Close()
	var secure recorder
	tlsSrv := httptest.NewTLSServer(secure.handler(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, httpSrv.URL+r.URL.Path, http.StatusFound)
	}))
	defer tlsSrv.Close()

	c, err := hcapi.New(tlsSrv.URL, token, hcapi.WithHTTPClient(tlsSrv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Notify(context.Background(), "2390200", hcapi.Notification{Message: "hi"}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	// A shared file on the configured host, named with an http URL.
	f, err := c.Download(context.Background(), strings.Replace(tlsSrv.URL, "https://", "http://", 1)+"/files/1/a.txt")
	if err == nil {
		f.Body.Close()
	}
	if got := secure.seen(); len(got) != 1 || got[0] != "Bearer "+token {
		t.Errorf("the https server saw Authorization %q, want the token once", got)
	}
	for _, a := range plain.seen() {
		if strings.Contains(a, token) {
			t.Fatalf("the token went over plain http: Authorization %q", a)
		}
	}
	if len(plain.seen()) == 0 {
		t.Fatal("the redirect was not followed at all")
	}
}

// Redirects within the configured https server keep the token: the guard
// must not break a server that moves its API paths.
func TestTokenFollowsRedirectOnSameServer(t *testing.T) {
	var rec recorder
	var srv *httptest.Server
	srv = httptest.NewTLSServer(rec.handler(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/old/") {
			http.Redirect(w, r, srv.URL+strings.TrimPrefix(r.URL.Path, "/old"), http.StatusTemporaryRedirect)
			return
		}
		noContent(w, r)
	}))
	defer srv.Close()
	c, err := hcapi.New(srv.URL+"/old", token, hcapi.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Notify(context.Background(), "2390200", hcapi.Notification{Message: "hi"}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if got := rec.seen(); len(got) != 2 || got[0] != "Bearer "+token || got[1] != "Bearer "+token {
		t.Errorf("Authorization per request %q, want the token on both", got)
	}
}

// A 429 without HipChat's rate-limit headers waits what a Retry-After
// asks, in seconds or as an HTTP date, or deskhttp's fallback without one:
// the same reading as every plugin's.
func TestRetryAfterWithoutRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"none", "", deskhttp.FallbackRetryAfter},
		{"unreadable", "soon", deskhttp.FallbackRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(http.StatusTooManyRequests)
			}))
			defer srv.Close()
			c, err := hcapi.New(srv.URL, token, hcapi.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Notify(context.Background(), "1", hcapi.Notification{Message: "hi"})
			var e *hcapi.Error
			if !errors.As(err, &e) || e.RetryAfter != tt.want {
				t.Fatalf("err %v: want a 429 waiting %v", err, tt.want)
			}
		})
	}
}
