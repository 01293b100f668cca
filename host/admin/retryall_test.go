package admin_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-dev/parley/host/store"
)

// The backlog row of a channel with failed rows offers "Retry all failed",
// which brings them back (CSRF-protected like the single-row Retry).
func TestStatusRetryAllFailed(t *testing.T) {
	w := newWorld(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(w.url + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	row := regexp.MustCompile(`(?s)<tr data-channel="desk"><td>desk</td>.*?</tr>`).Find(page)
	if row == nil || !strings.Contains(string(row), "Retry all failed") || !strings.Contains(string(row), `name="channel" value="desk"`) {
		t.Fatalf("the desk's backlog row offers no Retry all failed:\n%s", row)
	}
	token := string(regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(row)[1])

	post := func(client *http.Client, csrf string) int {
		t.Helper()
		resp, err := client.PostForm(w.url+"/status/retry", url.Values{"csrf": {csrf}, "kind": {"all"}, "channel": {"desk"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(http.DefaultClient, token); code != http.StatusForbidden {
		t.Fatalf("a cross-site retry of all got %d, want 403", code)
	}
	if got := w.state(t); got != store.StateFailed {
		t.Fatalf("after a refused request the delivery is %s, want failed", got)
	}
	if code := post(c, token); code != http.StatusSeeOther {
		t.Fatalf("the page's own form got %d, want 303", code)
	}
	if got := w.state(t); got != store.StatePending {
		t.Errorf("after Retry all failed the delivery is %s, want pending", got)
	}
	if w.wakes.Load() != 1 {
		t.Errorf("dispatcher woken %d times, want 1", w.wakes.Load())
	}
}
