// Package admin is the host's operator listener (loopback by default):
//
//	/healthz  the process is alive
//	/readyz   the store and Telegram are reachable and every enabled plugin is configured
//	/metrics  Prometheus metrics
//	/status   a server-rendered page of plugins, conversations, backlog and failed deliveries
//
// Who may see what is decided by [Access]: Host names, an optional token,
// and whether the listener is loopback only.
package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/internal/httpsafe"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness check: nil means ready.
type Check func(ctx context.Context) error

// Config gathers the admin server's dependencies.
type Config struct {
	Registry *prometheus.Registry
	// Checks returns the checks /readyz runs, by name; it is asked on
	// every request, so checks may come and go (channels added or removed
	// by a config reload).
	Checks func() map[string]Check
	// Status serves /status and its sub-paths; nil leaves them out.
	Status http.Handler
	// Access guards every path but /healthz and /readyz. Its zero value
	// answers loopback Host names only and trusts no viewer.
	Access Access
	// Redact removes configured secrets from text shown (readiness
	// errors); nil shows it as is.
	Redact func(string) string
	Logger hclog.Logger
}

// Handler returns the admin HTTP handler.
func Handler(c Config) http.Handler {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Redact == nil {
		c.Redact = func(s string) string { return s }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		var checks map[string]Check
		if c.Checks != nil {
			checks = c.Checks()
		}
		results := runChecks(ctx, checks, c.Redact)
		status := http.StatusOK
		for _, res := range results {
			if !res.OK {
				status = http.StatusServiceUnavailable
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"ready": status == http.StatusOK, "checks": results})
	})
	if c.Registry != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(c.Registry, promhttp.HandlerOpts{}))
	}
	if c.Status != nil {
		mux.Handle("/status", c.Status)
		mux.Handle("/status/", c.Status)
	}
	return httpsafe.Recover(c.Logger, newGuard(c.Access, mux, c.Logger))
}

// CheckResult is one readiness check's outcome.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func runChecks(ctx context.Context, checks map[string]Check, redact func(string) string) []CheckResult {
	out := make([]CheckResult, 0, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := CheckResult{Name: name, OK: true}
			if err := check(ctx); err != nil {
				res.OK, res.Error = false, redact(err.Error())
			}
			mu.Lock()
			out = append(out, res)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
