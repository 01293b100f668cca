package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

// Telegram unreachable when parley starts: the host stays up (not ready),
// keeps retrying, and takes in messages as soon as Telegram answers.
func TestTelegramDownAtStart(t *testing.T) {
	e := newEnv(t, "")
	addr := strings.TrimPrefix(e.tg.URL(), "http://")
	token := e.tg.Token()
	e.tg.Close()

	e.start() // returns once the public listener answers
	// Wait for the host's own word that it tried Telegram and failed, rather
	// than a fixed time after which it probably has.
	testwait.Within(t, 20*time.Second, "the host logs that Telegram is not reachable", func() bool {
		return strings.Contains(e.Logs(), "Telegram is not reachable; retrying")
	})
	resp, err := http.Get(e.admin + "/readyz")
	if err != nil {
		t.Fatalf("admin listener down while Telegram is unreachable: %v\n%s", err, tail(e.Logs(), 20))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d while Telegram is unreachable, want 503", resp.StatusCode)
	}
	if !strings.Contains(e.Logs(), "Telegram is not reachable; retrying") {
		t.Fatalf("no retry logged\n%s", tail(e.Logs(), 20))
	}

	tg := telegramtest.New(telegramtest.Options{Token: token})
	if err := tg.Listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	u := tg.AddUser(telego.User{FirstName: "Pat"})
	tg.SendText(u.ID, "are you back?")
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("nothing delivered after Telegram came back\n%s", tail(e.Logs(), 30))
	}
	if got := e.desk.Received()[0].Message.Text; got != "are you back?" {
		t.Fatalf("desk got %q", got)
	}
}
