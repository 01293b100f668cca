package e2e

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// A desk plugin that keeps dying (killed four times in a row: its restarts
// back off 0.5s, 1s, 2s, 4s) is unavailable for far longer than two
// attempts at max_backoff take. Messages sent meanwhile wait without
// spending attempts and all arrive, in order, once it runs again; none
// fails.
func TestPluginOutageFailsNoMessage(t *testing.T) {
	e := newEnvWith(t, envOptions{Dispatch: "max_attempts = 2"})
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "m0")
	// Recorded, not only received: a kill before the host heard back
	// would deliver m0 again (at least once), which is not this test's.
	if !waitUntil(15*time.Second, func() bool { return strings.Contains(e.Logs(), "parley.dispatch: delivered:") }) {
		t.Fatalf("no delivery\n%s", tail(e.Logs(), 30))
	}

	want := []string{"m0"}
	for kill := range 4 {
		pid := e.pluginPID()
		if pid == 0 {
			t.Fatalf("no plugin process before kill %d\n%s", kill+1, tail(e.Logs(), 30))
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if kill == 0 {
			for i := 1; i <= 4; i++ {
				text := fmt.Sprintf("m%d", i)
				e.tg.SendText(ann.ID, text)
				want = append(want, text)
			}
		}
		if kill < 3 && !waitUntil(20*time.Second, func() bool { p := e.pluginPID(); return p != 0 && p != pid }) {
			t.Fatalf("the plugin was not restarted after kill %d\n%s", kill+1, tail(e.Logs(), 30))
		}
	}
	ok := e.desk.WaitFor(60*time.Second, func(r []webhookdesk.Delivery) bool { return len(r) >= len(want) })
	var got []string
	for _, d := range e.desk.Received() {
		got = append(got, d.Message.Text)
	}
	if !ok || !slices.Equal(got, want) {
		t.Fatalf("the desk got %v, want %v\n%s", got, want, tail(e.Logs(), 40))
	}
	if !strings.Contains(e.Logs(), "its deliveries wait without spending attempts") {
		t.Errorf("no delivery met the outage: the test did not exercise it\n%s", tail(e.Logs(), 40))
	}
	if out, code := e.parley(t, "outbox"); code != 0 || strings.Contains(out, "failed") {
		t.Errorf("outbox after the outage (exit %d):\n%s", code, out)
	}
}
