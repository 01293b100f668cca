package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/internal/testwait"
)

// parley runs a CLI command against the env's config and returns its
// output and exit code.
func (e *env) parley(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "parley"), append(args, "--config", e.config)...)
	if args[0] == "outbox" && len(args) > 1 {
		cmd = exec.Command(filepath.Join(binDir, "parley"), append([]string{"outbox", "--config", e.config}, args[1:]...)...)
	}
	cmd.Env = append(os.Environ(), "E2E_TELEGRAM_TOKEN="+e.tg.Token(), "E2E_DESK_SECRET="+e.secret)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// The operator's commands work beside a running host: check, plugins,
// status, and outbox listing plus retry of a failed delivery.
func TestOperatorCommands(t *testing.T) {
	e := newEnv(t, "")
	out, code := e.parley(t, "check")
	if code != 0 || !strings.Contains(out, "channel desk: plugin webhook") || !strings.Contains(out, "everything is ready") {
		t.Fatalf("check (exit %d):\n%s", code, out)
	}
	out, code = e.parley(t, "plugins")
	if code != 0 || !regexp.MustCompile(`desk\s+webhook\s+\S+parley-channel-webhook\s+\S+\s+[0-9a-f]{64}\s+ok`).MatchString(out) {
		t.Fatalf("plugins (exit %d):\n%s", code, out)
	}

	e.start()
	u := e.tg.AddUser(telego.User{FirstName: "Dee"})
	e.desk.FailNext(1000, 400) // the desk refuses: a permanent failure
	e.tg.SendText(u.ID, "please fail")
	var row string
	if !testwait.Poll(20*time.Second, func() bool {
		out, code = e.parley(t, "outbox")
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "failed") && strings.HasPrefix(line, "delivery:") {
				row = strings.Fields(line)[0]
			}
		}
		return row != ""
	}) {
		t.Fatalf("no failed delivery listed (exit %d):\n%s\n%s", code, out, tail(e.Logs(), 20))
	}
	e.desk.FailNext(0, 0)
	if out, code = e.parley(t, "outbox", "retry", row); code != 0 {
		t.Fatalf("outbox retry %s (exit %d): %s", row, code, out)
	}
	if !e.desk.WaitFor(20*time.Second, func(r []webhookdesk.Delivery) bool { return len(r) == 1 && r[0].Message.Text == "please fail" }) {
		t.Fatalf("retried delivery never arrived\n%s", tail(e.Logs(), 20))
	}

	if !testwait.Poll(15*time.Second, func() bool {
		out, code = e.parley(t, "status")
		return code == 0 && strings.Contains(out, "telegram-poller")
	}) {
		t.Fatalf("status does not show the polling replica (exit %d):\n%s", code, out)
	}
	if !strings.Contains(out, "desk") {
		t.Fatalf("status lacks the channel backlog:\n%s", out)
	}

	// Without a public URL, file links would not open: check says so.
	good := readFile(t, e.config)
	writeFile(t, e.config, regexp.MustCompile(`(?m)^public_url = .*$`).ReplaceAllString(good, ""))
	out, code = e.parley(t, "check")
	if code == 0 || !strings.Contains(out, "server.public_url is not set") || !strings.Contains(out, "fix:") {
		t.Fatalf("check without public_url (exit %d):\n%s", code, out)
	}
	writeFile(t, e.config, good)

	// A bad config line is an error naming the line, with nothing started.
	bad := strings.Replace(readFile(t, e.config), "[store]", "[store]\ndriverr = \"sqlite\"", 1)
	writeFile(t, e.config, bad)
	out, code = e.parley(t, "check")
	if code == 0 || !strings.Contains(out, "driverr") || !strings.Contains(out, "driver") {
		t.Fatalf("check with an unknown key (exit %d):\n%s", code, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The shipped config.example.toml passes `parley check` but for the
// Telegram call (this machine cannot reach Telegram, and the token is made
// up).
func TestExampleConfigPassesCheck(t *testing.T) {
	dir := t.TempDir()
	example, err := filepath.Abs("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "parley.toml"), readFile(t, example))
	if err := os.Symlink(filepath.Join(binDir, "plugins"), filepath.Join(dir, "plugins")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "parley"), "check", "--config", "parley.toml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PARLEY_TELEGRAM_TOKEN=123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"PARLEY_WEBHOOK_SECRET=example-secret-value",
		// Any Telegram call fails fast instead of waiting on the network.
		"HTTPS_PROXY=http://127.0.0.1:1", "HTTP_PROXY=http://127.0.0.1:1")
	b, _ := cmd.CombinedOutput()
	out := string(b)
	var fails []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "FAIL") {
			fails = append(fails, line)
		}
	}
	if len(fails) != 1 || !strings.Contains(fails[0], "telegram") {
		t.Fatalf("check of config.example.toml should fail only on the Telegram call:\n%s", out)
	}
	if !strings.Contains(out, "ok    channel webhook: plugin webhook") {
		t.Fatalf("the example's webhook channel was not configured:\n%s", out)
	}
}
