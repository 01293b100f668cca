package httpserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/metrics"
	"github.com/parley-dev/parley/sdk"
)

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rawGet sends a request line exactly as given (no client-side cleaning or
// escaping), so odd paths reach the server as an attacker would send them.
func rawGet(t *testing.T, srv *httptest.Server, path string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.Opaque = path
	req.URL.Scheme, req.URL.Host = "http", srv.Listener.Addr().String()
	req.RequestURI = ""
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %q: %v (did the handler panic?)", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Unauthenticated requests for made-up channel names must neither grow the
// metrics without bound nor crash a handler.
func TestHooksHostilePathsBoundMetricsAndNeverPanic(t *testing.T) {
	logs := &syncBuffer{}
	m := metrics.New()
	channels := fakeChannels{"desk": fakeChannel{}, "helpscout": fakeChannel{}}
	h := Handler(Config{
		Channels: channels, Replies: &fakeReplies{}, Observer: m,
		Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace}),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	odd := []string{"/hooks/%FF", "/hooks/%FF/x", "/hooks/%C3%28", "/hooks/%00", "/hooks/a%00b", "/hooks/",
		"/hooks//", "//", "/hooks/" + strings.Repeat("a", 100_000), "/hooks/%E2%80%AE", "/hooks/DESK", "/hooks/..%2F..%2Fetc"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		odd = append(odd, fmt.Sprintf("/hooks/%x-%d", rng.Uint64(), i))
	}
	for _, p := range odd {
		code := rawGet(t, srv, p)
		if code != http.StatusNotFound && code != http.StatusMovedPermanently && code != http.StatusRequestURITooLong {
			t.Errorf("GET %.60q: status %d, want 404 (or a redirect / 414 from net/http)", p, code)
		}
	}
	// A configured channel still counts under its own name.
	if resp, _ := post(t, srv.URL+"/hooks/desk", "good", "c1"); resp.StatusCode != 200 {
		t.Fatalf("known channel: status %d", resp.StatusCode)
	}

	if n := seriesCount(t, m, "parley_hook_requests_total"); n > len(channels)+1 {
		t.Errorf("%d hook request series after %d hostile requests, want at most %d (channels + unknown)", n, len(odd), len(channels)+1)
	}
	if strings.Contains(strings.ToLower(logs.String()), "panic") {
		t.Errorf("log mentions a panic:\n%.2000s", logs.String())
	}
}

// statusChannel answers every webhook with a fixed HTTP status.
type statusChannel struct {
	sdk.Channel
	status int
}

func (c statusChannel) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: c.status, Body: []byte("plugin body")}, nil
}

// A plugin's status code outside what HTTP allows is the plugin's fault:
// the desk gets 502, the log says why, and nothing panics.
func TestHooksRejectInvalidPluginStatus(t *testing.T) {
	for _, tc := range []struct {
		status, want int
	}{
		{0, 200}, {204, 204}, {302, 302}, {599, 599},
		{42, 502}, {999, 502}, {1000, 502}, {100, 502}, {101, 502}, {199, 502}, {600, 502}, {-1, 502}, {-200, 502},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			logs := &syncBuffer{}
			h := Handler(Config{
				Channels: fakeChannels{"desk": statusChannel{status: tc.status}}, Replies: &fakeReplies{},
				Logger: hclog.New(&hclog.LoggerOptions{Output: logs}),
			})
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/hooks/desk", "text/plain", strings.NewReader("x"))
			if err != nil {
				t.Fatalf("request failed (handler panic?): %v\n%s", err, logs)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 502 && !strings.Contains(logs.String(), "invalid HTTP status") {
				t.Errorf("log does not name the plugin's invalid status:\n%s", logs)
			}
			if strings.Contains(strings.ToLower(logs.String()), "panic") {
				t.Errorf("log mentions a panic:\n%s", logs)
			}
		})
	}
}

// seriesCount counts the label sets of one metric family.
func seriesCount(t *testing.T, m *metrics.Metrics, name string) int {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
