package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
)

// adminGet fetches a path of the admin listener with a given Host header
// and bearer token ("" for none).
func adminGet(t *testing.T, base, path, host, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// bin/parley wires the admin listener's guards: on a network address
// without a token it warns and hides customers; with a token from the
// environment it asks for it; hostile /hooks paths are 404s, not panics.
func TestAdminListenerAccessThroughTheBinary(t *testing.T) {
	const token = "e2e-admin-token-9f8e7d6c5b4a"
	e := newEnvWith(t, envOptions{Env: map[string]string{"PARLEY_ADMIN_TOKEN": token}})
	port := e.admin[strings.LastIndex(e.admin, ":")+1:]
	loopback := readFile(t, e.config)
	open := strings.Replace(loopback, "[admin]\nlisten = \"127.0.0.1:"+port+"\"", "[admin]\nlisten = \"0.0.0.0:"+port+"\"", 1)
	if open == loopback {
		t.Fatal("could not rewrite admin.listen")
	}
	writeFile(t, e.config, open)
	e.start()
	u := e.tg.AddUser(telego.User{FirstName: "Rosalind", Username: "rfranklin"})
	e.tg.SendText(u.ID, "hello")
	if !e.desk.WaitCount(1, 15*time.Second) {
		t.Fatalf("no delivery\n%s", tail(e.Logs(), 20))
	}
	if !strings.Contains(e.Logs(), "is not loopback and admin.token is not set") {
		t.Errorf("parley run did not warn about an open admin listener:\n%s", tail(e.Logs(), 30))
	}
	code, page := adminGet(t, e.admin, "/status", "", "")
	if code != http.StatusOK || strings.Contains(page, "Rosalind") || strings.Contains(page, "rfranklin") || !strings.Contains(page, "Customer names are hidden") {
		t.Errorf("anonymous /status on 0.0.0.0: status %d, names shown %v", code, strings.Contains(page, "Rosalind"))
	}
	if code, _ := adminGet(t, e.admin, "/status", "rebound.example.com", ""); code != http.StatusMisdirectedRequest {
		t.Errorf("/status for a foreign Host: status %d, want 421", code)
	}
	for _, p := range []string{"/hooks/%FF", "/hooks/nope", "/hooks/%00"} {
		resp, err := http.Get(e.public + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	// Made-up channels share one series.
	if code, body := adminGet(t, e.admin, "/metrics", "", ""); code != http.StatusOK || !strings.Contains(body, `parley_hook_requests_total{channel="_unknown",status="404"} 3`) {
		t.Errorf("/metrics: status %d; hook series:\n%s", code, grepLines(body, "parley_hook_requests_total"))
	}
	e.stop()
	if logs := strings.ToLower(e.Logs()); strings.Contains(logs, "panic") {
		t.Errorf("the log mentions a panic:\n%s", tail(e.Logs(), 30))
	}

	withToken := strings.Replace(open, "[admin]\n", "[admin]\ntoken = \"${PARLEY_ADMIN_TOKEN}\"\n", 1)
	writeFile(t, e.config, withToken)
	e.start()
	for _, p := range []string{"/status", "/metrics"} {
		if code, _ := adminGet(t, e.admin, p, "", ""); code != http.StatusUnauthorized {
			t.Errorf("%s without the token: status %d, want 401", p, code)
		}
		if code, _ := adminGet(t, e.admin, p, "", token+"x"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: status %d, want 401", p, code)
		}
	}
	if code, page := adminGet(t, e.admin, "/status", "", token); code != http.StatusOK || !strings.Contains(page, "Rosalind") {
		t.Errorf("/status with the token: status %d, names shown %v", code, strings.Contains(page, "Rosalind"))
	}
	if code, _ := adminGet(t, e.admin, "/metrics", "", token); code != http.StatusOK {
		t.Errorf("/metrics with the token: status %d", code)
	}
	if code, _ := adminGet(t, e.admin, "/readyz", "", ""); code != http.StatusOK && code != http.StatusServiceUnavailable {
		t.Errorf("/readyz without the token: status %d, want an answer", code)
	}
	e.stop()
	if strings.Contains(e.Logs(), token) {
		t.Errorf("the admin token appears in the log")
	}
	if n := strings.Count(e.Logs(), "is not loopback and admin.token is not set"); n != 1 {
		t.Errorf("the open-listener warning appears %d times over both runs, want once (not with a token)", n)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
