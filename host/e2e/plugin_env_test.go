package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/procstat"
	"github.com/parley-dev/parley/internal/testwait"
)

// The reproduction, through bin/parley: the host runs with the bot
// token and a database password in its environment; the desk plugin's
// /proc/<pid>/environ holds neither, nor any other host variable outside
// the allow-list, while the variable its channel's env table adds is there.
func TestPluginProcessEnvironmentHoldsNoHostSecrets(t *testing.T) {
	const dbPassword = "db-password-that-must-stay-in-the-host"
	e := newEnvWith(t, envOptions{
		// The desk's URL is known once the env exists (below).
		Channels: `[channels.desk]
plugin = "webhook"
env = { DESK_REGION = "${E2E_DESK_REGION}" }
[channels.desk.config]
url = "DESK_URL"
secret = "${E2E_DESK_SECRET}"
timeout = "5s"
`,
		Env: map[string]string{"PARLEY_DB_PASSWORD": dbPassword, "E2E_DESK_REGION": "eu-north"},
	})
	e.opts.Channels = strings.Replace(e.opts.Channels, "DESK_URL", e.desk.URL(), 1)
	e.writeConfig()
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "hello")
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}

	var environ []byte
	if !testwait.Poll(10*time.Second, func() bool {
		for _, pid := range procstat.Children(e.cmd.Process.Pid) {
			if strings.HasPrefix(filepath.Base(procstat.Executable(pid)), "parley-channel-webhook") {
				b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
				if err == nil {
					environ = b
					return true
				}
			}
		}
		return false
	}) {
		t.Fatal("no parley-channel-webhook process under the host")
	}
	vars := map[string]string{}
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			vars[k] = v
		}
	}
	for _, secret := range []string{e.tg.Token(), dbPassword, e.secret} {
		if bytes.Contains(environ, []byte(secret)) {
			t.Errorf("the plugin's environment holds the host secret %.8s…", secret)
		}
	}
	for _, name := range []string{"E2E_TELEGRAM_TOKEN", "PARLEY_DB_PASSWORD", "E2E_DESK_SECRET", "E2E_DESK_REGION"} {
		if _, ok := vars[name]; ok {
			t.Errorf("the plugin inherited the host's %s", name)
		}
	}
	if vars["DESK_REGION"] != "eu-north" {
		t.Errorf("the channel's env table did not reach the plugin: DESK_REGION=%q", vars["DESK_REGION"])
	}
}
