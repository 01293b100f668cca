package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func mustParse(t *testing.T, text string, vars map[string]string) *Config {
	t.Helper()
	c, err := Parse("parley.toml", []byte(text), env(vars))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestDefaultsFillOmittedKeys(t *testing.T) {
	c := mustParse(t, minimal, nil)
	want := Default()
	want.Telegram.Token = testToken
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"telegram.api_url", c.Telegram.APIURL, "https://api.telegram.org"},
		{"telegram.mode", c.Telegram.Mode, "polling"},
		{"telegram.welcome_message", c.Telegram.WelcomeMessage, "Hello! Write your question here and our support team will answer."},
		{"telegram.poll_timeout", c.Telegram.PollTimeout.Duration, 30 * time.Second},
		{"telegram.webhook_path", c.Telegram.WebhookPath, "/telegram/webhook"},
		{"server.listen", c.Server.Listen, "127.0.0.1:8080"},
		{"server.public_url", c.Server.PublicURL, ""},
		{"server.max_body_bytes", c.Server.MaxBodyBytes, int64(1 << 20)},
		{"admin.listen", c.Admin.Listen, "127.0.0.1:9090"},
		{"store.driver", c.Store.Driver, "sqlite"},
		{"store.dsn", c.Store.DSN, "parley.db"},
		{"plugins.dir", c.Plugins.Dir, "./plugins"},
		{"plugins.start_timeout", c.Plugins.StartTimeout.Duration, 10 * time.Second},
		{"files.link_ttl", c.Files.LinkTTL.Duration, 168 * time.Hour},
		{"dispatch.max_attempts", c.Dispatch.MaxAttempts, 12},
		{"dispatch.concurrency", c.Dispatch.Concurrency, 64},
		{"dispatch.run_length", c.Dispatch.RunLength, 32},
		{"dispatch.initial_backoff", c.Dispatch.InitialBackoff.Duration, time.Second},
		{"dispatch.max_backoff", c.Dispatch.MaxBackoff.Duration, 5 * time.Minute},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if len(c.Channels) != 0 {
		t.Errorf("channels = %v, want none", c.Channels)
	}
}

func TestValuesAreRead(t *testing.T) {
	c := mustParse(t, `
[telegram]
token = "`+testToken+`"
mode = "webhook"
api_url = "http://127.0.0.1:8081/"
[server]
public_url = "https://parley.example.com/"
max_body_bytes = "${BODY}"
[dispatch]
concurrency = 4
max_backoff = "1m30s"
[log]
level = "DEBUG"
format = "json"
`, map[string]string{"BODY": "2048"})
	if c.Telegram.Mode != ModeWebhook || c.Dispatch.Concurrency != 4 || c.Log.Format != FormatJSON {
		t.Errorf("values not read: %+v", c)
	}
	if c.Telegram.APIURL != "http://127.0.0.1:8081" || c.Server.PublicURL != "https://parley.example.com" {
		t.Errorf("URLs keep their trailing slash: %q, %q", c.Telegram.APIURL, c.Server.PublicURL)
	}
	if c.Server.MaxBodyBytes != 2048 {
		t.Errorf("max_body_bytes from env = %d, want 2048", c.Server.MaxBodyBytes)
	}
	if c.Dispatch.MaxBackoff.Duration != 90*time.Second {
		t.Errorf("max_backoff = %v, want 1m30s", c.Dispatch.MaxBackoff)
	}
	if c.Log.Level != "debug" {
		t.Errorf("log.level = %q, want it lower-cased to debug", c.Log.Level)
	}
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		vars map[string]string
		want string
	}{
		{"plain", "hello", nil, "hello"},
		{"variable", "${GREETING}, world", map[string]string{"GREETING": "hi"}, "hi, world"},
		{"default when unset", "${GREETING:-hello}", nil, "hello"},
		{"default when empty", "${GREETING:-hello}", map[string]string{"GREETING": ""}, "hello"},
		{"set but empty without default", "<${GREETING}>", map[string]string{"GREETING": ""}, "<>"},
		{"escaped", "$${GREETING}", map[string]string{"GREETING": "hi"}, "${GREETING}"},
		{"bare dollar left alone", "pa$word$", nil, "pa$word$"},
		{"value is not re-expanded", "${A}", map[string]string{"A": "${B}", "B": "no"}, "${B}"},
		// A value full of TOML syntax stays one string: expansion runs after parsing.
		{"no TOML injection", "${EVIL}", map[string]string{"EVIL": "x\"\nmode = \"webhook"}, "x\"\nmode = \"webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, minimal+"welcome_message = '"+tt.raw+"'\n", tt.vars)
			if c.Telegram.WelcomeMessage != tt.want {
				t.Errorf("welcome_message = %q, want %q", c.Telegram.WelcomeMessage, tt.want)
			}
			if c.Telegram.Mode != ModePolling {
				t.Errorf("mode = %q: a variable changed another key", c.Telegram.Mode)
			}
		})
	}
}

func TestChannels(t *testing.T) {
	c := mustParse(t, minimal+`
[channels.zeta]
plugin = "slack"
sha256 = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"
[channels.zeta.config]
bot_token = "${SLACK}"
channel = "C1"
retries = 3
rooms = ["a", "${ROOM}"]
[channels.zeta.config.limits]
burst = 2.5

[channels.alpha]
plugin = "webhook"
enabled = false
`, map[string]string{"SLACK": "xoxb-1", "ROOM": "b"})

	var names []string
	for _, ch := range c.Channels {
		names = append(names, ch.Name)
	}
	if !slices.Equal(names, []string{"zeta", "alpha"}) {
		t.Fatalf("channels in order %v, want file order [zeta alpha]", names)
	}
	zeta, alpha := c.Channels[0], c.Channels[1]
	if zeta.Line != 4 || alpha.Line != 15 {
		t.Errorf("lines = %d, %d, want 4, 15", zeta.Line, alpha.Line)
	}
	if !zeta.Enabled || alpha.Enabled {
		t.Errorf("enabled = %v, %v, want true (default), false", zeta.Enabled, alpha.Enabled)
	}
	if zeta.SHA256 != "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789" {
		t.Errorf("sha256 = %q, want lower case", zeta.SHA256)
	}
	if en := c.EnabledChannels(); len(en) != 1 || en[0].Name != "zeta" {
		t.Errorf("EnabledChannels = %v, want [zeta]", en)
	}

	raw, err := zeta.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("ConfigJSON is not a JSON object: %s", raw)
	}
	want := map[string]any{
		"bot_token": "xoxb-1", "channel": "C1", "retries": 3.0,
		"rooms": []any{"a", "b"}, "limits": map[string]any{"burst": 2.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigJSON = %s, want %v", raw, want)
	}
	if raw, _ := alpha.ConfigJSON(); string(raw) != "{}" {
		t.Errorf("ConfigJSON without a table = %s, want {}", raw)
	}
}

func TestAdminAccessKeys(t *testing.T) {
	c := mustParse(t, minimal+`
[admin]
listen = "0.0.0.0:9090"
allowed_hosts = ["Status.Example.com.", "${EXTRA_HOST}", "10.0.0.5"]
token = "${ADMIN_TOKEN}"
`, map[string]string{"EXTRA_HOST": "ops.example.com", "ADMIN_TOKEN": "0123456789abcdef0123"})
	if want := []string{"status.example.com", "ops.example.com", "10.0.0.5"}; !slices.Equal(c.Admin.AllowedHosts, want) {
		t.Errorf("allowed_hosts = %q, want %q", c.Admin.AllowedHosts, want)
	}
	if c.Admin.Token != "0123456789abcdef0123" {
		t.Errorf("token not read from the environment")
	}
	for listen, want := range map[string]bool{
		"127.0.0.1:9090": true, "127.8.9.1:9090": true, "[::1]:9090": true, "localhost:9090": true,
		"0.0.0.0:9090": false, ":9090": false, "[::]:9090": false, "10.0.0.5:9090": false, "admin.internal:9090": false,
	} {
		if got := (Admin{Listen: listen}).Loopback(); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", listen, got, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
		cfg  string
		want []string
	}{
		{
			name: "token and plugin secrets",
			dsn:  "parley.db",
			cfg: `
[channels.a]
plugin = "slack"
[channels.a.config]
bot_token = "xoxb-1"
Signing_Secret = "sig"
channel = "C1"
api_keys = ["k1", "k2"]
[channels.a.config.oauth]
client_password = "pw"
[channels.a.config.credentials.secret]
anything = "nested"
`,
			want: []string{testToken, "xoxb-1", "sig", "k1", "k2", "pw", "nested"},
		},
		{name: "postgres URL password", dsn: "postgres://parley:s%40cret@db:5432/parley", want: []string{testToken, "s@cret", "s%40cret"}},
		{name: "postgres keyword password", dsn: "host=db user=parley password='it\\'s a \\\\ secret' dbname=p", want: []string{testToken, `it's a \ secret`}},
		{name: "postgres bare keyword password", dsn: "host=db password=hunter2 dbname=p", want: []string{testToken, "hunter2"}},
		{name: "no password", dsn: "postgres://parley@db/parley", want: []string{testToken}},
		{name: "admin token", dsn: "parley.db", cfg: "[admin]\ntoken = \"admin-token-0123456789\"\n", want: []string{testToken, "admin-token-0123456789"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, minimal+"[store]\ndsn = \"${DSN}\"\n"+tt.cfg, map[string]string{"DSN": tt.dsn})
			got := c.Secrets()
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Secrets = %q, want %q", got, want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	valid := []string{"listen", "public_url", "max_body_bytes"}
	tests := []struct{ key, want string }{
		{"listn", "listen"},
		{"LISTEN", "listen"},
		{"publc_ur", "public_url"},
		{"max_body", ""}, // 6 edits from max_body_bytes: not a typo
		{"port", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key, valid); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// exampleVars matches the ${NAME} references in the example file.
var exampleVars = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range exampleVars.FindAllStringSubmatch(string(data), -1) {
		vars[m[1]] = "value-of-" + m[1]
	}
	vars["PARLEY_TELEGRAM_TOKEN"] = testToken
	c, err := Parse("config.example.toml", data, env(vars))
	if err != nil {
		t.Fatalf("example does not parse with its variables set:\n%v", err)
	}

	// The example documents the defaults: apart from secrets and channels it
	// must say exactly what Default says.
	want := Default()
	want.Telegram.Token = testToken
	// public_url has no default; the example shows one so that it passes
	// `parley check`, which requires it for working file links.
	want.Server.PublicURL = "https://parley.example.com"
	want.Channels = c.Channels
	if !reflect.DeepEqual(c, want) {
		t.Errorf("example differs from the defaults:\n got %+v\nwant %+v", c, want)
	}
	// ... and shows every key (public_url is commented out: it has no default).
	var tree map[string]any
	md, err := toml.Decode(string(data), &tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range schema(Default()) {
		for _, f := range sec.fields {
			key := append(strings.Split(sec.name, "."), f.key)
			// menu and hours have no default: the example shows them
			// commented out (hours checked below).
			if !md.IsDefined(key...) && !(sec.name == "server" && f.key == "public_url") &&
				!(sec.name == "telegram" && (f.key == "menu" || f.key == "hours")) {
				t.Errorf("example does not show %s.%s", sec.name, f.key)
			}
		}
	}

	if len(c.Channels) != 1 || c.Channels[0].Name != "webhook" || c.Channels[0].Plugin != "webhook" {
		t.Fatalf("channels = %+v, want one webhook channel", c.Channels)
	}
	raw, err := c.Channels[0].ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["secret"] != "value-of-PARLEY_WEBHOOK_SECRET" || cfg["timeout"] != "10s" || cfg["url"] == nil {
		t.Errorf("webhook config = %s", raw)
	}

	// Without the environment, the example names what is missing.
	errs := parseProblems(t, string(data), nil)
	msg := errs.Error()
	for _, name := range []string{"PARLEY_TELEGRAM_TOKEN", "PARLEY_WEBHOOK_SECRET"} {
		if !regexp.MustCompile(`parley\.toml:\d+: .*` + name + ` is not set`).MatchString(msg) {
			t.Errorf("problems do not name %s:\n%s", name, msg)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "parley.toml")
	if err := os.WriteFile(path, []byte("[telegram]\ntoken = \"${LOAD_TEST_TOKEN}\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOAD_TEST_TOKEN", testToken)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Telegram.Token != testToken {
		t.Errorf("token from the process environment = %q", c.Telegram.Token)
	}

	t.Setenv("LOAD_TEST_TOKEN", "bad")
	_, err = Load(path)
	if err == nil || !regexp.MustCompile(`^`+regexp.QuoteMeta(path)+`:2: telegram.token: `).MatchString(err.Error()) {
		t.Errorf("Load error = %v, want it to name %s:2", err, path)
	}

	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("PARLEY_CONFIG", "")
	if got := DefaultPath(); got != "parley.toml" {
		t.Errorf("DefaultPath = %q, want parley.toml", got)
	}
	t.Setenv("PARLEY_CONFIG", "/etc/parley/parley.toml")
	if got := DefaultPath(); got != "/etc/parley/parley.toml" {
		t.Errorf("DefaultPath = %q, want $PARLEY_CONFIG", got)
	}
}

func TestChannelLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want int
	}{
		{"one channel: no limit below concurrency", "[dispatch]\nconcurrency = 10\n" + channelTOML("a"), 10},
		{"several channels: half each", "[dispatch]\nconcurrency = 10\n" + channelTOML("a") + channelTOML("b"), 5},
		{"configured", "[dispatch]\nconcurrency = 10\nchannel_concurrency = 3\n" + channelTOML("a") + channelTOML("b"), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("parley.toml", []byte(minimal+tc.text), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ChannelLimit(); got != tc.want {
				t.Errorf("ChannelLimit() = %d, want %d", got, tc.want)
			}
		})
	}
}

func channelTOML(name string) string {
	return "[channels." + name + "]\nplugin = \"webhook\"\n"
}
