package admin_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parley-dev/parley/host/admin"
	"github.com/parley-dev/parley/host/internal/browsertest"
	"github.com/parley-dev/parley/host/logging"
	"github.com/parley-dev/parley/host/store"
)

const adminToken = "admin-token-5f1c9e2b7d"

// get sends a request to the world's listener and returns status and body.
func get(t *testing.T, c *http.Client, method, u string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if c == nil {
		c = noRedirects(nil)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// A web page the operator opens can point its own name at the admin
// listener (DNS rebinding); the listener answers only names it knows.
func TestAdminRefusesUnknownHostNames(t *testing.T) {
	w := newWorldWith(t, worldOptions{access: admin.Access{Loopback: true, AllowedHosts: []string{"status.example.com"}}})
	tests := []struct {
		host string
		want int
	}{
		{"evil.example.com", http.StatusMisdirectedRequest},
		{"evil.example.com:9090", http.StatusMisdirectedRequest},
		{"127.0.0.1.evil.example.com", http.StatusMisdirectedRequest},
		{"localhost.evil.example.com", http.StatusMisdirectedRequest},
		{"192.168.1.10:9090", http.StatusMisdirectedRequest},
		{"localhost", http.StatusOK},
		{"LOCALHOST:9090", http.StatusOK},
		{"127.0.0.1:9090", http.StatusOK},
		{"127.3.4.5", http.StatusOK},
		{"[::1]:9090", http.StatusOK},
		{"status.example.com", http.StatusOK},
		{"Status.Example.COM.:443", http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/status", "/metrics"} {
			code, body, _ := get(t, nil, http.MethodGet, w.url+path, map[string]string{"Host": tt.host})
			if code != tt.want {
				t.Errorf("Host %q %s: status %d, want %d", tt.host, path, code, tt.want)
			}
			if code == http.StatusMisdirectedRequest && !strings.Contains(body, "allowed_hosts") {
				t.Errorf("Host %q: refusal does not say what to do: %q", tt.host, body)
			}
			if code != http.StatusOK && strings.Contains(body, "Grace") {
				t.Errorf("Host %q: refused page still shows customer data", tt.host)
			}
		}
	}
	// Probes carry whatever Host an orchestrator sets, and reveal nothing.
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, _ := get(t, nil, http.MethodGet, w.url+path, map[string]string{"Host": "10.1.2.3:9090"}); code != http.StatusOK {
			t.Errorf("%s with a pod IP as Host: status %d, want 200", path, code)
		}
	}
	// A forged retry through a rebound name changes nothing.
	code, _, _ := get(t, nil, http.MethodPost, w.url+"/status/retry", map[string]string{"Host": "evil.example.com"})
	if code != http.StatusMisdirectedRequest || w.state(t) != store.StateFailed {
		t.Errorf("retry through a foreign Host: status %d, state %s", code, w.state(t))
	}
}

func TestAdminTokenGuardsStatusAndMetrics(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	w := newWorldWith(t, worldOptions{access: admin.Access{Token: adminToken, Now: clock}, lastError: "desk answered 500"})

	for _, path := range []string{"/status", "/metrics", "/status/retry"} {
		for name, h := range map[string]map[string]string{
			"no credentials":      nil,
			"wrong bearer":        {"Authorization": "Bearer " + adminToken + "x"},
			"token prefix":        {"Authorization": "Bearer " + adminToken[:8]},
			"basic scheme":        {"Authorization": "Basic " + adminToken},
			"token as the cookie": {"Cookie": "parley_admin_session=" + adminToken},
			"forged session":      {"Cookie": "parley_admin_session=9999999999.AAAA"},
		} {
			method := http.MethodGet
			if path == "/status/retry" {
				method = http.MethodPost
			}
			code, body, hdr := get(t, nil, method, w.url+path, h)
			if code != http.StatusUnauthorized {
				t.Errorf("%s %s, %s: status %d, want 401", method, path, name, code)
			}
			if strings.Contains(body, "Grace") {
				t.Errorf("%s, %s: 401 body leaks data: %.200q", path, name, body)
			}
			if path == "/status" && (!strings.Contains(body, `name="token"`) || hdr.Get("WWW-Authenticate") == "") {
				t.Errorf("%s, %s: no login form or WWW-Authenticate: %.200q", path, name, body)
			}
		}
	}
	if w.state(t) != store.StateFailed {
		t.Fatalf("an unauthenticated retry changed the delivery")
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, _ := get(t, nil, http.MethodGet, w.url+path, nil); code != http.StatusOK {
			t.Errorf("%s without a token: status %d, want 200 (probes need none)", path, code)
		}
	}

	// A scraper or script with the bearer token.
	bearer := map[string]string{"Authorization": "Bearer " + adminToken}
	if code, _, _ := get(t, nil, http.MethodGet, w.url+"/metrics", bearer); code != http.StatusOK {
		t.Errorf("/metrics with the token: status %d", code)
	}
	if code, body, _ := get(t, nil, http.MethodGet, w.url+"/status", bearer); code != http.StatusOK || !strings.Contains(body, "Grace") {
		t.Errorf("/status with the token: status %d, customer names shown: %v", code, strings.Contains(body, "Grace"))
	}

	// A browser: a wrong token is refused, the right one gives a session.
	jar, _ := cookiejar.New(nil)
	c := noRedirects(jar)
	resp, err := c.PostForm(w.url+"/status/login", url.Values{"token": {"guess-guess-guess"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong login: status %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	resp, err = c.PostForm(w.url+"/status/login", url.Values{"token": {adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/status" {
		t.Fatalf("login: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "parley_admin_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("login set no session cookie: %v", resp.Header["Set-Cookie"])
	}
	if strings.Contains(session.Value, adminToken) || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure {
		t.Errorf("session cookie = %+v: want HttpOnly, SameSite=Strict, not Secure over http, and not the token", session)
	}

	// The session sees names and can retry through the page's CSRF form.
	code, page, _ := get(t, c, http.MethodGet, w.url+"/status", nil)
	if code != http.StatusOK || !strings.Contains(page, "Grace") || !strings.Contains(page, "@grace") {
		t.Fatalf("/status after login: status %d, names shown %v", code, strings.Contains(page, "Grace"))
	}
	if code, _, _ := get(t, c, http.MethodGet, w.url+"/metrics", nil); code != http.StatusOK {
		t.Errorf("/metrics with the session: status %d", code)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no retry form for a signed-in viewer")
	}
	id := strconv.FormatInt(w.failed, 10)
	resp, err = c.PostForm(w.url+"/status/retry", url.Values{"kind": {"delivery"}, "id": {id}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || w.state(t) != store.StateFailed {
		t.Fatalf("signed-in retry without the CSRF token: status %d, state %s; want 403 and unchanged", resp.StatusCode, w.state(t))
	}
	resp, err = c.PostForm(w.url+"/status/retry", url.Values{"csrf": {m[1]}, "kind": {"delivery"}, "id": {id}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || w.state(t) != store.StatePending {
		t.Fatalf("signed-in retry: status %d, state %s", resp.StatusCode, w.state(t))
	}

	// Sessions end.
	now.Add(int64(13 * time.Hour / time.Second))
	if code, _, _ := get(t, c, http.MethodGet, w.url+"/status", nil); code != http.StatusUnauthorized {
		t.Errorf("/status with a 13-hour-old session: status %d, want 401", code)
	}

	// Behind an https proxy the cookie is Secure.
	req, _ := http.NewRequest(http.MethodPost, w.url+"/status/login", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err = noRedirects(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("login over https: cookies %v, want one Secure cookie", resp.Header["Set-Cookie"])
	}
}

// Without a token, a listener reachable from the network shows no customer
// data and takes no changes; a loopback one trusts the local operator.
func TestStatusHidesCustomersFromAnonymousViewers(t *testing.T) {
	w := newWorldWith(t, worldOptions{access: admin.Access{Loopback: false}, lastError: "desk answered 500"})
	code, page, _ := get(t, nil, http.MethodGet, w.url+"/status", nil)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if strings.Contains(page, "Grace") || strings.Contains(page, "grace") {
		t.Errorf("anonymous viewer sees the customer's name or username")
	}
	if !strings.Contains(page, "user 42") || !strings.Contains(page, "desk answered 500") {
		t.Errorf("anonymous viewer should still see ids and failures:\n%s", page)
	}
	if strings.Contains(page, `name="csrf"`) {
		t.Errorf("anonymous viewer is offered the retry form")
	}
	resp, err := http.PostForm(w.url+"/status/retry", url.Values{"kind": {"delivery"}, "id": {strconv.FormatInt(w.failed, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || w.state(t) != store.StateFailed {
		t.Errorf("anonymous retry: status %d, state %s; want 403 and unchanged", resp.StatusCode, w.state(t))
	}

	local := newWorld(t) // loopback, no token
	if _, page, _ := get(t, nil, http.MethodGet, local.url+"/status", nil); !strings.Contains(page, "Grace") {
		t.Errorf("the local operator on a loopback listener does not see customer names")
	}
}

// A configured secret that reaches a last_error never shows on the page.
func TestStatusRedactsConfiguredSecrets(t *testing.T) {
	const secret = "xoxb-1234-secret-slack-token"
	w := newWorldWith(t, worldOptions{
		access:    admin.Access{Loopback: true},
		redact:    logging.NewRedactor([]string{secret}).Redact,
		lastError: `POST https://desk.example.com/hook?token=` + secret + ` answered 401 (auth "` + secret + `")`,
	})
	_, page, _ := get(t, nil, http.MethodGet, w.url+"/status", nil)
	if strings.Contains(page, secret) || strings.Contains(page, "secret-slack") {
		t.Fatalf("the page shows a configured secret")
	}
	if !strings.Contains(page, "answered 401") || !strings.Contains(page, logging.Redacted) {
		t.Errorf("the redacted last error is missing from the page")
	}
}

// An operator signs in with the token in a real browser, then retries a
// failed delivery through the page's CSRF-protected form.
func TestStatusLoginInBrowser(t *testing.T) {
	b := browsertest.New(t)
	w := newWorldWith(t, worldOptions{access: admin.Access{Token: adminToken}, lastError: "desk answered 500"})

	browsertest.Do(t, b, 20*time.Second, "opening /status", chromedp.Navigate(w.url+"/status"))
	browsertest.Do(t, b, 10*time.Second, "signing in with a wrong token",
		chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token"), chromedp.Click(chromedp.CSS("#signin")))
	if got := browsertest.Text(t, b, 5*time.Second, "#problem"); !strings.Contains(got, "not right") {
		t.Errorf("after a wrong token the page says %q", got)
	}
	browsertest.Do(t, b, 10*time.Second, "signing in",
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken), chromedp.Click(chromedp.CSS("#signin")))
	if got := browsertest.Text(t, b, 10*time.Second, "#conversations"); !strings.Contains(got, "Grace") {
		t.Fatalf("conversations after sign-in = %q, want the customer's name", got)
	}
	browsertest.Do(t, b, 10*time.Second, "clicking Retry now", chromedp.Click(chromedp.CSS(`#failed button.retry`)))
	if got := browsertest.Text(t, b, 10*time.Second, "#flash"); !strings.Contains(got, "queued for a retry") {
		t.Errorf("flash after retry = %q", got)
	}
	browsertest.Screenshot(t, b, "status-signed-in")
	if got := w.state(t); got != store.StatePending {
		t.Errorf("delivery state after retry = %s, want pending", got)
	}
}

// No path, Host or credential shape makes the admin listener fail.
func TestAdminOddRequestsAreAnswered(t *testing.T) {
	for _, access := range []admin.Access{{Loopback: true}, {Token: adminToken}} {
		w := newWorldWith(t, worldOptions{access: access, lastError: "x"})
		for _, path := range []string{"/status/%FF", "/status/login", "/%00", "//", "/status//retry", "/metrics/x", "/" + strings.Repeat("a", 10000)} {
			for _, h := range []map[string]string{
				nil, {"Host": "[::1"}, {"Host": "localhost:notaport"}, {"Authorization": "Bearer"},
				{"Authorization": "Bearer \xff"}, {"Cookie": "parley_admin_session=." + strings.Repeat("9", 400)},
			} {
				for _, method := range []string{http.MethodGet, http.MethodPost} {
					code, _, _ := get(t, nil, method, w.url+path, h)
					if code >= 500 {
						t.Errorf("%s %.40s %v: status %d", method, path, h, code)
					}
				}
			}
		}
	}
}
