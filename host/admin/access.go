package admin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Access says who the admin listener serves.
//
// Every path but /healthz and /readyz (probes, which reveal only whether
// the host is up) is answered only for a Host header that is a loopback
// name or address or one of AllowedHosts: a web page cannot reach the
// listener through DNS rebinding, whatever address it listens on.
//
// With a Token, the same paths also need "Authorization: Bearer <token>"
// or the session cookie the login form on /status sets. Without one, a
// viewer of a Loopback listener is the local operator and is trusted; on
// any other listener viewers are anonymous: the status page hides customer
// data and refuses changes.
type Access struct {
	// Token is the shared secret; empty asks for none.
	Token string
	// AllowedHosts are Host names (lower case, without port) answered
	// besides localhost and loopback addresses.
	AllowedHosts []string
	// Loopback says the listener binds loopback addresses only.
	Loopback bool
	// Now is the clock for sessions (time.Now when nil).
	Now func() time.Time
}

const (
	// sessionCookie holds a login session: an expiry and its HMAC under the
	// token, so the cookie never carries the token and dies when the token
	// is rotated.
	sessionCookie = "parley_admin_session"
	sessionTTL    = 12 * time.Hour
	// loginPath receives the login form.
	loginPath = "/status/login"
)

// viewerKey marks a request's context with whether its viewer may see
// customer data and change things.
type viewerKey struct{}

// authenticated reports whether the request's viewer passed the listener's
// access checks as someone trusted (see Access).
func authenticated(ctx context.Context) bool {
	ok, _ := ctx.Value(viewerKey{}).(bool)
	return ok
}

// guard applies Access in front of next.
type guard struct {
	a     Access
	next  http.Handler
	log   hclog.Logger
	login *template.Template
}

func newGuard(a Access, next http.Handler, log hclog.Logger) *guard {
	if a.Now == nil {
		a.Now = time.Now
	}
	return &guard{a: a, next: next, log: log, login: template.Must(template.New("login").Parse(loginPage))}
}

// probe reports whether path is a health probe, served to anyone.
func probe(path string) bool { return path == "/healthz" || path == "/readyz" }

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if probe(r.URL.Path) {
		g.next.ServeHTTP(w, r)
		return
	}
	if !g.hostAllowed(r.Host) {
		g.log.Warn("admin request for a host name that is not allowed; refused", "host", truncate(r.Host, 100), "remote", r.RemoteAddr)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusMisdirectedRequest)
		fmt.Fprintf(w, "This admin listener does not answer to host %q: it answers localhost, loopback addresses and the names in [admin] allowed_hosts (a guard against DNS rebinding). Add the name you use to allowed_hosts.\n", truncate(r.Host, 100))
		return
	}
	trusted := g.a.Loopback
	if g.a.Token != "" {
		if r.URL.Path == loginPath && r.Method == http.MethodPost {
			g.handleLogin(w, r)
			return
		}
		if !g.credentialsValid(r) {
			g.unauthorized(w, r, "")
			return
		}
		trusted = true
	}
	if !trusted && r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "changes need a signed-in operator: set [admin] token, or reach a loopback admin listener", http.StatusForbidden)
		return
	}
	g.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, trusted)))
}

// hostAllowed reports whether a Host header names this listener.
func (g *guard) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	return slices.Contains(g.a.AllowedHosts, host)
}

// credentialsValid checks the bearer token or the session cookie.
func (g *guard) credentialsValid(r *http.Request) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && g.tokenMatches(strings.TrimSpace(tok))
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && g.sessionValid(c.Value)
}

// tokenMatches compares in constant time; hashing first hides the length.
func (g *guard) tokenMatches(tok string) bool {
	a, b := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(g.a.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (g *guard) sessionMAC(expiry string) string {
	m := hmac.New(sha256.New, []byte(g.a.Token))
	m.Write([]byte("parley admin session v1|" + expiry))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (g *guard) newSession() (string, time.Time) {
	exp := g.a.Now().Add(sessionTTL)
	s := strconv.FormatInt(exp.Unix(), 10)
	return s + "." + g.sessionMAC(s), exp
}

func (g *guard) sessionValid(v string) bool {
	exp, mac, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(g.sessionMAC(exp))) {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && g.a.Now().Before(time.Unix(unix, 0))
}

func (g *guard) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil || !g.tokenMatches(r.PostForm.Get("token")) {
		g.log.Warn("failed admin login", "remote", r.RemoteAddr)
		g.unauthorized(w, r, "That token is not right.")
		return
	}
	value, exp := g.newSession()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: exp, MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r),
	})
	g.log.Info("admin login", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

// secureRequest reports whether the browser reached us over https (here,
// or at a proxy that says so; a false claim only makes the cookie stricter).
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// unauthorized answers 401: the login form for a browser on /status, a
// plain message elsewhere.
func (g *guard) unauthorized(w http.ResponseWriter, r *http.Request, problem string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="parley admin"`)
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path != "/status" && r.URL.Path != loginPath {
		http.Error(w, "authentication required: send Authorization: Bearer <admin token>, or sign in on /status", http.StatusUnauthorized)
		return
	}
	setPageHeaders(w)
	w.WriteHeader(http.StatusUnauthorized)
	if err := g.login.Execute(w, struct{ Problem string }{problem}); err != nil {
		g.log.Warn("rendering the login page", "error", err)
	}
}

// setPageHeaders sets the headers of every HTML page of the listener.
func setPageHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// loginPage is the form shown to a browser without a session.
const loginPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Parley status: sign in</title>
<style>body { font: 14px/1.45 system-ui, sans-serif; margin: 40px auto; max-width: 420px; color: #1d2329; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: 5px; margin: 6px 0 10px; }
button { font: inherit; padding: 3px 10px; border-radius: 4px; border: 1px solid #2a7ab0; background: #2a7ab0; color: #fff; }
.problem { background: #f9dedc; border: 1px solid #e6a19b; padding: 6px 10px; border-radius: 4px; }</style></head>
<body>
<h1>Parley status</h1>
{{with .Problem}}<p class="problem" id="problem">{{.}}</p>{{end}}
<form method="post" action="/status/login">
<label for="token">Admin token (<code>[admin] token</code>)</label>
<input type="password" id="token" name="token" autocomplete="current-password" autofocus>
<button type="submit" id="signin">Sign in</button>
</form>
</body>
</html>
`
