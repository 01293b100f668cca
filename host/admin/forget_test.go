package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The status page's forget form erases the customer and tells the desk;
// a forged request erases nothing; a second submit says it was done.
func TestStatusForget(t *testing.T) {
	w := newWorld(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(w.url + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `action="/status/forget"`) {
		t.Fatalf("no forget form on the page:\n%s", page)
	}
	token := string(regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)[1])
	post := func(client *http.Client, csrf, user string) (int, string) {
		t.Helper()
		resp, err := client.PostForm(w.url+"/status/forget", url.Values{"csrf": {csrf}, "telegram_user": {user}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	contact := func() string {
		conv, err := w.store.ConversationByChat(context.Background(), 42)
		if err != nil {
			t.Fatal(err)
		}
		return conv.Contact.FirstName
	}

	if code, _ := post(http.DefaultClient, token, "42"); code != http.StatusForbidden {
		t.Errorf("forged forget: status %d, want 403", code)
	}
	if code, _ := post(c, token, "grace"); code != http.StatusBadRequest {
		t.Errorf("forget of a name: status %d, want 400", code)
	}
	if contact() != "Grace" {
		t.Fatal("a refused request erased the contact")
	}

	code, body := post(c, token, "42")
	if code != http.StatusOK || !strings.Contains(body, "forgot Telegram user 42") || !strings.Contains(body, "[desk]") {
		t.Fatalf("forget: status %d\n%s", code, body)
	}
	if contact() != "" || w.wakes.Load() != 1 {
		t.Errorf("after forget the contact is %q and the dispatcher was woken %d times", contact(), w.wakes.Load())
	}
	rows, err := w.store.Queue(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.HasPrefix(rows[0].MessageID, "nf_") || rows[0].Channel != "desk" {
		t.Errorf("queue after forget: %+v, want only the desk's erasure notice", rows)
	}
	if code, body = post(c, token, "42"); code != http.StatusOK || !strings.Contains(body, "already forgotten") {
		t.Errorf("second forget: status %d\n%s", code, body)
	}
}
