package e2e

import (
	"bytes"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/parley-dev/parley/internal/testwait"
)

// setMode rewrites the env's config to the given Telegram intake mode.
func (e *env) setMode(t *testing.T, mode string) {
	t.Helper()
	b, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if i := strings.Index(s, "\nmode = "); i >= 0 {
		j := strings.IndexByte(s[i+1:], '\n')
		s = s[:i] + s[i+1+j:]
	}
	s = strings.Replace(s, "[telegram]\n", "[telegram]\nmode = \""+mode+"\"\n", 1)
	if err := os.WriteFile(e.config, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// In webhook mode Telegram POSTs updates to the host, which checks the
// secret token on each one; switching back to polling deletes the webhook.
func TestWebhookMode(t *testing.T) {
	e := newEnv(t, "")
	e.setMode(t, "webhook")
	e.start()
	if !testwait.Poll(15*time.Second, func() bool { return e.tg.WebhookURL() != "" }) {
		t.Fatalf("parley never called setWebhook\n%s", tail(e.Logs(), 20))
	}
	if got, want := e.tg.WebhookURL(), e.public+"/telegram/webhook"; got != want {
		t.Fatalf("webhook URL %q, want %q", got, want)
	}
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "via webhook")
	if !e.desk.WaitCount(1, 15*time.Second) {
		t.Fatalf("update sent by webhook never reached the desk\n%s", tail(e.Logs(), 30))
	}

	// A forged request (wrong secret token) is refused and stores nothing.
	forged := `{"update_id":999999,"message":{"message_id":9,"date":1700000000,"chat":{"id":` +
		itoa(ann.ID) + `,"type":"private"},"from":{"id":` + itoa(ann.ID) + `,"is_bot":false,"first_name":"Ann"},"text":"forged"}}`
	for _, secret := range []string{"", "wrong-secret"} {
		req, _ := http.NewRequest(http.MethodPost, e.public+"/telegram/webhook", bytes.NewBufferString(forged))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged update with secret %q: status %d, want 401", secret, resp.StatusCode)
		}
	}

	// Back to polling: the webhook is deleted and updates keep flowing.
	e.stop()
	e.setMode(t, "polling")
	e.start()
	e.tg.SendText(ann.ID, "via polling")
	if !e.desk.WaitCount(2, 20*time.Second) {
		t.Fatalf("after switching to polling nothing arrived\n%s", tail(e.Logs(), 30))
	}
	if e.tg.WebhookURL() != "" {
		t.Fatal("the webhook is still set after switching to polling")
	}
	for _, d := range e.desk.Received() {
		if d.Message.Text == "forged" {
			t.Fatal("a forged webhook update reached the desk")
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
