package admin

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/parley-dev/parley/host/lifetime"
	"github.com/parley-dev/parley/host/store"
)

// forget serves POST /status/forget: parley forget from the status page.
// It erases customer data, so it must only be reachable by an
// authenticated operator; it is guarded against cross-site requests like
// the retry button. The store must implement store.Lifetime.
func (p *statusPage) forget(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !p.csrfValid(r) {
		http.Error(w, "invalid or missing CSRF token: reload the status page and try again", http.StatusForbidden)
		return
	}
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("telegram_user")), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "telegram_user must be the customer's numeric Telegram user id", http.StatusBadRequest)
		return
	}
	lt, ok := p.c.Store.(store.Lifetime)
	if !ok {
		http.Error(w, "this store cannot erase customer data", http.StatusNotImplemented)
		return
	}
	f, err := lifetime.Forget(r.Context(), lt, id)
	if err != nil {
		p.c.Logger.Warn("forget from the status page", "telegram_user", id, "error", err)
		http.Error(w, fmt.Sprintf("forget failed (nothing half done stays: submit again to finish): %v", err), http.StatusInternalServerError)
		return
	}
	p.c.Logger.Info("customer data erased from the status page", "telegram_user", id,
		"messages", f.Messages, "replies", f.Replies, "notified", strings.Join(f.Notified, ","))
	if f.Erased > 0 {
		p.c.Wake() // the desks' notices are ready
	}
	// Post/redirect/get, as for a retry.
	http.Redirect(w, r, "/status?flash="+url.QueryEscape(lifetime.Describe(id, f)), http.StatusSeeOther)
}

// csrfValid checks the form's signed double-submit token (see NewStatus).
func (p *statusPage) csrfValid(r *http.Request) bool {
	cookie, err := r.Cookie(csrfCookie)
	return err == nil && hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(p.sign(cookie.Value)))
}
