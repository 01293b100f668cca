package pluginhost

import (
	"os"
	"strings"
	"testing"

	"github.com/parley-dev/parley/sdk"
)

func hostileSpec(name string) Spec {
	return Spec{Name: name, Plugin: "hostile"}
}

// webhook calls a channel's HandleWebhook on path?query.
func webhook(t *testing.T, ch sdk.Channel, path, query string) (sdk.WebhookResponse, error) {
	t.Helper()
	return ch.HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Path: path, RawQuery: query})
}

func TestPluginSeesOnlyAllowedEnvironment(t *testing.T) {
	t.Setenv("PARLEY_TELEGRAM_TOKEN", "123456:bot-token-in-host-env")
	t.Setenv("PARLEY_DSN", "postgres://parley:db-password@db/parley")
	t.Setenv("SALES_API_TOKEN", "another-channels-secret")
	t.Setenv("HTTPS_PROXY", "http://proxy.internal:3128")
	t.Setenv("LC_TIME", "C")
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, _ := fastOptions(dir)
	spec := hostileSpec("support")
	spec.Env = map[string]string{"SUPPORT_API_TOKEN": "its-own-secret", "LC_TIME": "en_GB.UTF-8"}
	m, err := start(t, opts, spec)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := webhook(t, handleOf(t, m, "support"), "/env", "")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(resp.Body), "\n") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, secret := range []string{"bot-token-in-host-env", "db-password", "another-channels-secret"} {
		if strings.Contains(string(resp.Body), secret) {
			t.Errorf("the plugin's environment holds the host's %q:\n%s", secret, resp.Body)
		}
	}
	for name, want := range map[string]string{
		"SUPPORT_API_TOKEN": "its-own-secret", // the channel's env table
		"PATH":              os.Getenv("PATH"),
		"HTTPS_PROXY":       "http://proxy.internal:3128",
		"LC_TIME":           "en_GB.UTF-8", // the channel's table wins
		sdk.LogLevelEnv:     "debug",
	} {
		if env[name] != want {
			t.Errorf("plugin env %s = %q, want %q", name, env[name], want)
		}
	}
}
