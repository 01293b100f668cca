package deskhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// answer serves one status with the given headers.
func answer(t *testing.T, status int, header map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"detail"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, url string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/api/post?token=s3cret", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := deskhttp.NewClient("test", "1.2.3").Do(req)
	if err := deskhttp.Check(resp, err); err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func TestCheckClassifiesStatuses(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		wantWait  time.Duration // -1: no RetryAfter mark
		tolerance time.Duration
		permanent bool
	}{
		{"ok", 200, nil, -1, 0, false},
		{"429 seconds", 429, map[string]string{"Retry-After": "7"}, 7 * time.Second, 0, false},
		{"429 date", 429, map[string]string{"Retry-After": date}, 90 * time.Second, 3 * time.Second, false},
		{"429 garbage", 429, map[string]string{"Retry-After": "soon"}, deskhttp.FallbackRetryAfter, 0, false},
		{"429 absent", 429, nil, deskhttp.FallbackRetryAfter, 0, false},
		{"503 with Retry-After", 503, map[string]string{"Retry-After": "12"}, 12 * time.Second, 0, false},
		{"503 without", 503, nil, -1, 0, false},
		{"500", 500, nil, -1, 0, false},
		{"408", 408, nil, -1, 0, false},
		{"409", 409, nil, -1, 0, false},
		{"400", 400, nil, -1, 0, true},
		{"401", 401, nil, -1, 0, true},
		{"404", 404, nil, -1, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := call(t, answer(t, tc.status, tc.header).URL)
			if tc.status == 200 {
				if err != nil {
					t.Fatalf("200: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%d: no error", tc.status)
			}
			var serr *deskhttp.StatusError
			if !errors.As(err, &serr) || serr.StatusCode != tc.status || string(serr.Body) != `{"error":"detail"}` {
				t.Fatalf("error %v is not a StatusError with the answer", err)
			}
			if !strings.HasPrefix(err.Error(), "127.0.0.1 answered ") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error text %q", err)
			}
			wait, hinted := sdk.RetryHint(err)
			switch {
			case tc.wantWait < 0 && hinted:
				t.Errorf("RetryAfter %v, want none", wait)
			case tc.wantWait >= 0 && !hinted:
				t.Errorf("no RetryAfter, want %v", tc.wantWait)
			case tc.wantWait >= 0 && (wait < tc.wantWait-tc.tolerance || wait > tc.wantWait+tc.tolerance):
				t.Errorf("RetryAfter %v, want %v", wait, tc.wantWait)
			}
			if sdk.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", sdk.IsPermanent(err), tc.permanent)
			}
		})
	}
}

func TestCheckTimeoutIsRetryableAndRedacted(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client := deskhttp.NewClient("test", "1.2.3")
	client.Timeout = 100 * time.Millisecond
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/x?token=s3cret#frag", nil)
	resp, err := client.Do(req)
	err = deskhttp.Check(resp, err)
	if err == nil {
		t.Fatal("no error")
	}
	if sdk.IsPermanent(err) {
		t.Error("a timeout is marked permanent")
	}
	if _, ok := sdk.RetryHint(err); ok {
		t.Error("a timeout carries a RetryAfter")
	}
	var timeout interface{ Timeout() bool }
	if !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Errorf("%v: not a timeout", err)
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), srv.URL+"/x") {
		t.Errorf("error text %q: want the URL without its query", err)
	}
}

func TestCheckConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := call(t, url)
	if err == nil || sdk.IsPermanent(err) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v: want a retryable error without the token", err)
	}
}

func TestCheckCancelledContext(t *testing.T) {
	srv := answer(t, 200, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?token=s3cret", nil)
	resp, err := deskhttp.NewClient("test", "1").Do(req)
	err = deskhttp.Check(resp, err)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v: want context.Canceled without the token", err)
	}
}

func TestClientUserAgent(t *testing.T) {
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.UserAgent() }))
	defer srv.Close()
	client := deskhttp.NewClient("slack", "1.2.3")
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := client.Do(req)
	if err := deskhttp.Check(resp, err); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ua := <-got; ua != "parley-channel-slack/1.2.3" {
		t.Errorf("User-Agent %q", ua)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("User-Agent", "own/1")
	resp, err = client.Do(req)
	if err := deskhttp.Check(resp, err); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ua := <-got; ua != "own/1" {
		t.Errorf("a request's own User-Agent was replaced: %q", ua)
	}
	if req.Header.Get("User-Agent") != "own/1" {
		t.Error("the caller's request was modified")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Fri, 02 Jan 2026 03:05:05 GMT", time.Minute, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true}, // in the past
		{"99999999999", deskhttp.MaxRetryAfter, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		got, ok := deskhttp.ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
