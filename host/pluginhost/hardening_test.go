package pluginhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/grpcplugin"
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
		"SUPPORT_API_TOKEN":    "its-own-secret", // the channel's env table
		"PATH":                 os.Getenv("PATH"),
		"HTTPS_PROXY":          "http://proxy.internal:3128",
		"LC_TIME":              "en_GB.UTF-8", // the channel's table wins
		grpcplugin.LogLevelEnv: "debug",
	} {
		if env[name] != want {
			t.Errorf("plugin env %s = %q, want %q", name, env[name], want)
		}
	}
}

func TestHugeAnswerFailsTheCallNotTheHost(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, _ := fastOptions(dir)
	host := &recordingHost{channel: "support"}
	opts.Host = func(string) sdk.Host { return host }
	m, err := start(t, opts, hostileSpec("support"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	_, err = webhook(t, ch, "/big", "")
	var re *sdk.RemoteError
	if !errors.As(err, &re) || re.Code != "ResourceExhausted" {
		t.Fatalf("a 64 MiB webhook answer gave %v, want a ResourceExhausted error", err)
	}
	// The same process keeps serving.
	resp, err := webhook(t, ch, "/", "")
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("webhook after the huge answer = %q, %v", resp.Body, err)
	}
	// Nor can it send the host's own service a huge request.
	resp, err = webhook(t, ch, "/bigpost", "")
	if err != nil || !strings.Contains(string(resp.Body), `"code":"ResourceExhausted"`) || len(host.got()) != 0 {
		t.Errorf("posting a 5 MiB reply = %s, %v, %d stored; want ResourceExhausted and nothing stored", resp.Body, err, len(host.got()))
	}
	if st := statusOf(t, m, "support"); st.State != StateRunning || st.Restarts != 0 {
		t.Errorf("status after the huge answer = %s with %d restarts, want running without restarts", st.State, st.Restarts)
	}
}

func TestWebhookAnswerWithTooManyRepliesIsRefused(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, _ := fastOptions(dir)
	m, err := start(t, opts, hostileSpec("support"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	resp, err := webhook(t, ch, "/replies", fmt.Sprintf("n=%d", grpcplugin.MaxWebhookReplies))
	if err != nil || len(resp.Replies) != grpcplugin.MaxWebhookReplies {
		t.Fatalf("an answer of %d replies = %d replies, %v; want it accepted", grpcplugin.MaxWebhookReplies, len(resp.Replies), err)
	}
	resp, err = webhook(t, ch, "/replies", fmt.Sprintf("n=%d", grpcplugin.MaxWebhookReplies+1))
	if err == nil || !sdk.IsPermanent(err) || len(resp.Replies) != 0 {
		t.Fatalf("an answer of %d replies = %d replies, %v; want a permanent error and none", grpcplugin.MaxWebhookReplies+1, len(resp.Replies), err)
	}
	if !strings.Contains(err.Error(), "101 replies") {
		t.Errorf("error %q does not say how many replies", err)
	}
}

func TestPostReplyIsRateLimitedPerChannel(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, _ := fastOptions(dir)
	// A rate no test machine is slow enough to stay under with 50 posts:
	// the outcome does not depend on timing.
	opts.PostReplyRate, opts.PostReplyBurst = 0.5, 5
	hosts := map[string]*recordingHost{}
	opts.Host = func(channel string) sdk.Host {
		hosts[channel] = &recordingHost{channel: channel}
		return hosts[channel]
	}
	m, err := start(t, opts, hostileSpec("support"), hostileSpec("sales"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := webhook(t, handleOf(t, m, "support"), "/post", "n=50&ref=t")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Posted  int    `json:"posted"`
		Code    string `json:"code"`
		RetryMS int64  `json:"retry_ms"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(resp.Body, &got); err != nil {
		t.Fatalf("plugin answered %q: %v", resp.Body, err)
	}
	if got.Posted < 5 || got.Posted >= 50 {
		t.Errorf("the plugin posted %d of 50 replies, want the burst of 5 (or a few more) and then a refusal", got.Posted)
	}
	if got.Code != "ResourceExhausted" || got.RetryMS <= 0 || !strings.Contains(got.Message, "more than 0.5 replies a second") {
		t.Errorf("refusal = %+v, want ResourceExhausted with a retry hint and the limit", got)
	}
	if n := len(hosts["support"].got()); n != got.Posted {
		t.Errorf("the host stored %d replies, the plugin was told %d", n, got.Posted)
	}
	// The limit is per channel: sales still has its whole burst.
	resp, err = webhook(t, handleOf(t, m, "sales"), "/post", "n=5&ref=t")
	if err != nil || !strings.Contains(string(resp.Body), `"posted":5`) || strings.Contains(string(resp.Body), "code") {
		t.Errorf("sales posting 5 replies = %s, %v; want all 5 stored", resp.Body, err)
	}
}

func TestPluginOutputCannotForgeHostLines(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, logs := fastOptions(dir)
	m, err := start(t, opts, hostileSpec("support"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webhook(t, handleOf(t, m, "support"), "/log", ""); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("host log:\n%s", logs)
		}
	}()
	// Each forged text reaches the log, on the plugin's lines.
	for _, forged := range []string{"raw forged", "json forged", "key forged", "stdout forged"} {
		eventually(t, "the log shows "+forged, func() bool { return strings.Contains(logs.String(), forged) })
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.HasPrefix(line, "2026-01-01") || strings.Contains(line, "\x1b") || strings.Contains(line, "\r") {
			t.Errorf("plugin output made a line of its own: %q", line)
		}
		if strings.Contains(line, "forged") && (!strings.Contains(line, "parley.plugin.support.parley-channel-hostile:") ||
			!strings.Contains(line, "channel=support")) {
			t.Errorf("plugin line is not marked as the plugin's: %q", line)
		}
	}
	if !strings.Contains(logs.String(), `innocent\n2026-01-01T00:00:00.000Z [ERROR] parley.host: json forged`) {
		t.Errorf("the embedded newline is not shown escaped:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "plugin.channel=someone-else") {
		t.Errorf("the plugin's own channel key was not renamed:\n%s", logs)
	}
}

func TestPluginLogIsRateLimited(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, logs := fastOptions(dir)
	// No token comes back during the test: what passes is the burst.
	opts.LogLinesPerSecond, opts.LogBurst, opts.LogDropReport = 0.001, 20, 50*time.Millisecond
	m, err := start(t, opts, hostileSpec("support"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	if _, err := webhook(t, handleOf(t, m, "support"), "/flood", fmt.Sprint("n=", n)); err != nil {
		t.Fatal(err)
	}
	report := regexp.MustCompile(`plugin support: (\d+) log lines dropped`)
	var shown, dropped int
	eventually(t, "every flood line is shown or reported dropped", func() bool {
		text := logs.String()
		shown = strings.Count(text, "flood ")
		dropped = 0
		for _, mm := range report.FindAllStringSubmatch(text, -1) {
			d, _ := strconv.Atoi(mm[1])
			dropped += d
		}
		// Lines the plugin logged at start-up share the burst (and would
		// count as dropped past it): the flood is all in once this holds.
		return shown+dropped >= n
	})
	if shown > 20 {
		t.Errorf("%d of %d flood lines were logged, want at most the burst of 20", shown, n)
	}
	if dropped < n-20 {
		t.Errorf("%d lines reported dropped, want at least %d", dropped, n-20)
	}
}

func TestMalformedPluginLogLineCannotCrashTheHost(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "hostile", "hostile")
	opts, logs := fastOptions(dir)
	m, err := start(t, opts, hostileSpec("support"))
	if err != nil {
		t.Fatal(err)
	}
	ch := handleOf(t, m, "support")
	if _, err := webhook(t, ch, "/badjson", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the line after the malformed ones is logged", func() bool {
		return strings.Contains(logs.String(), "sentinel after bad json")
	})
	if resp, err := webhook(t, ch, "/", ""); err != nil || string(resp.Body) != "ok" {
		t.Errorf("webhook after malformed log lines = %q, %v", resp.Body, err)
	}
}
