package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

// botsWorld is a host running several bots of one fake Telegram, with a
// webhook desk per channel.
type botsWorld struct {
	*env
	bots  map[string]*telegramtest.Bot
	desks map[string]*webhookdesk.Desk
	// channels, when set, are the desks writeBots configures as channels
	// (channel name → desk name); nil configures every desk under its name.
	channels map[string]string
}

// newBotsWorld makes bots (by config name) on the env's fake Telegram and
// desks (by channel name); nothing runs until writeBots and start.
func newBotsWorld(t *testing.T, bots []string, desks []string) *botsWorld {
	t.Helper()
	w := &botsWorld{bots: map[string]*telegramtest.Bot{}, desks: map[string]*webhookdesk.Desk{}}
	envVars := map[string]string{}
	for _, name := range bots {
		b := w.addBotLater(name)
		envVars[tokenVar(name)] = b
	}
	w.env = newEnvWith(t, envOptions{Env: envVars})
	for _, name := range bots {
		w.bots[name] = w.tg.AddBot(telegramtest.BotOptions{Token: envVars[tokenVar(name)]})
	}
	for _, name := range desks {
		d := webhookdesk.New(deskSecret)
		if err := d.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		w.desks[name] = d
	}
	return w
}

// addBotLater picks a token for a bot added to the fake once the env exists.
func (w *botsWorld) addBotLater(name string) string {
	var id int64 = 7100000000
	for _, c := range name {
		id = id*31 + int64(c)
	}
	id = 7100000000 + id%10000000
	return telegramtest.TokenFor(id)
}

func tokenVar(bot string) string {
	return "E2E_BOT_" + strings.ToUpper(strings.ReplaceAll(bot, "-", "_")) + "_TOKEN"
}

// writeBots writes the config: the bots' tables (bots maps a name to its
// extra keys) and a webhook channel per desk.
func (w *botsWorld) writeBots(t *testing.T, bots map[string]string, order []string) {
	t.Helper()
	var b strings.Builder
	for _, name := range order {
		fmt.Fprintf(&b, "[bots.%s]\ntoken = \"${%s}\"\napi_url = %q\npoll_timeout = \"1s\"\n%s\n", name, tokenVar(name), w.tg.URL(), bots[name])
	}
	channels := w.channels
	if channels == nil {
		channels = map[string]string{}
		for name := range w.desks {
			channels[name] = name
		}
	}
	for name, desk := range channels {
		plugin, url := "webhook", ""
		if d := w.desks[desk]; d != nil {
			url = d.URL()
		} else {
			plugin = desk // a plugin name that is not installed
		}
		fmt.Fprintf(&b, "[channels.%s]\nplugin = %q\n[channels.%s.config]\nurl = %q\nsecret = \"${E2E_DESK_SECRET}\"\ntimeout = \"5s\"\n\n", name, plugin, name, url)
	}
	cfg := fmt.Sprintf(`
[server]
listen = %q
public_url = %q

[admin]
listen = %q

[store]
dsn = %q

[plugins]
dir = %q

[dispatch]
initial_backoff = "100ms"
max_backoff = "1s"

[log]
level = "debug"

%s
`, strings.TrimPrefix(w.public, "http://"), w.public, strings.TrimPrefix(w.admin, "http://"),
		filepath.Join(w.dir, "parley.db"), filepath.Join(binDir, "plugins"), b.String())
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hup asks the running host to reload its config (systemctl reload).
func (w *botsWorld) hup(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	cmd := w.cmd
	w.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// texts returns the texts a desk received from bot.
func texts(ds []webhookdesk.Delivery, bot string) []string {
	var out []string
	for _, r := range ds {
		if r.Bot == bot {
			out = append(out, r.Message.Text)
		}
	}
	return out
}

func hasTexts(ds []webhookdesk.Delivery, bot string, want ...string) bool {
	got := strings.Join(texts(ds, bot), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			return false
		}
	}
	return true
}

// statusPage returns the admin status page.
func (w *botsWorld) statusPage(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(w.admin + "/status")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// outboxEmpty reports whether the host has nothing pending: whatever a
// message was routed to has been delivered.
func (w *botsWorld) outboxEmpty(t *testing.T) bool {
	cmd := exec.Command(filepath.Join(binDir, "parley"), "outbox", "--config", w.config)
	cmd.Env = append(os.Environ(), "E2E_DESK_SECRET="+w.secret)
	for k, v := range w.opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return err == nil && !strings.Contains(string(out), "delivery:") && !strings.Contains(string(out), "reply:")
}

// Two bots, one polling and one by webhook, each routed to its own desk:
// the same Telegram user writing to both has two conversations, each desk
// sees only its bot's (with the bot named on every delivery), and a
// desk's reply leaves through the bot the conversation came from.
func TestBotsTwoDesks(t *testing.T) {
	w := newBotsWorld(t, []string{"support", "shop"}, []string{"desk-a", "desk-b"})
	w.writeBots(t, map[string]string{
		"support": `channels = ["desk-a"]`,
		"shop":    "mode = \"webhook\"\nchannels = [\"desk-b\"]",
	}, []string{"support", "shop"})
	w.start()
	shop, support := w.bots["shop"], w.bots["support"]
	if !testwait.Poll(15*time.Second, func() bool { return shop.WebhookURL() == w.public+"/telegram/shop" }) {
		t.Fatalf("shop's webhook is %q, want %s/telegram/shop\n%s", shop.WebhookURL(), w.public, tail(w.Logs(), 30))
	}
	u := telego.User{ID: 4242, FirstName: "Ann"}
	support.AddUser(u)
	shop.AddUser(u)
	support.SendText(u.ID, "to support")
	shop.SendText(u.ID, "to shop")
	a, b := w.desks["desk-a"], w.desks["desk-b"]
	if !a.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return hasTexts(ds, "support", "to support") }) ||
		!b.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return hasTexts(ds, "shop", "to shop") }) {
		t.Fatalf("desk-a got %v, desk-b got %v\n%s", a.Received(), b.Received(), tail(w.Logs(), 40))
	}
	if !testwait.Poll(20*time.Second, func() bool { return w.outboxEmpty(t) }) {
		t.Fatal("the outbox never drained")
	}
	if len(a.Received()) != 1 || len(b.Received()) != 1 {
		t.Fatalf("each desk must see only its bot: desk-a %+v, desk-b %+v", a.Received(), b.Received())
	}
	convA, convB := a.Received()[0].ConversationID, b.Received()[0].ConversationID
	if convA == convB {
		t.Fatal("one user's chats with two bots share a conversation")
	}

	// Replies leave through the conversation's bot.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, r := range []struct {
		d    *webhookdesk.Desk
		ch   string
		conv string
		text string
	}{{a, "desk-a", convA, "support answers"}, {b, "desk-b", convB, "shop answers"}} {
		if code, body, err := r.d.SendReply(ctx, w.public+"/hooks/"+r.ch, webhookdesk.Reply{ConversationID: r.conv, ID: r.text, Text: r.text}); err != nil || code != 200 {
			t.Fatalf("reply to %s: %d %s %v", r.ch, code, body, err)
		}
	}
	sentBy := func(bt *telegramtest.Bot) string {
		var out []string
		for _, s := range bt.SentTo(u.ID) {
			out = append(out, s.Text)
		}
		return strings.Join(out, "|")
	}
	if !testwait.Poll(20*time.Second, func() bool {
		return strings.Contains(sentBy(support), "support answers") && strings.Contains(sentBy(shop), "shop answers")
	}) {
		t.Fatalf("support sent %q, shop sent %q\n%s", sentBy(support), sentBy(shop), tail(w.Logs(), 40))
	}
	if strings.Contains(sentBy(support), "shop answers") || strings.Contains(sentBy(shop), "support answers") {
		t.Fatalf("a reply left through the wrong bot: support sent %q, shop sent %q", sentBy(support), sentBy(shop))
	}

	// A webhook path no bot has is a 404.
	resp, err := http.Post(w.public+"/telegram/nobody", "application/json", strings.NewReader(`{"update_id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /telegram/nobody: %d, want 404", resp.StatusCode)
	}
}

// A bot whose token is revoked is that bot's error on the status page;
// the other bot keeps working.
func TestBotsRevokedToken(t *testing.T) {
	w := newBotsWorld(t, []string{"support", "shop"}, []string{"desk-a"})
	w.writeBots(t, map[string]string{}, []string{"support", "shop"})
	w.start()
	shop, support := w.bots["shop"], w.bots["support"]
	u := telego.User{ID: 77, FirstName: "Bo"}
	support.AddUser(u)
	shop.AddUser(u)
	shop.SendText(u.ID, "shop before")
	a := w.desks["desk-a"]
	if !a.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return hasTexts(ds, "shop", "shop before") }) {
		t.Fatalf("shop's first message never arrived\n%s", tail(w.Logs(), 30))
	}
	shop.RevokeToken()
	if !testwait.Poll(30*time.Second, func() bool {
		p := w.statusPage(t)
		i := strings.Index(p, `data-bot="shop"`)
		return i >= 0 && strings.Contains(p[i:min(len(p), i+800)], "failed") && strings.Contains(p[i:min(len(p), i+800)], "401")
	}) {
		t.Fatalf("the status page does not show shop's error:\n%s\n%s", w.statusPage(t), tail(w.Logs(), 30))
	}
	support.SendText(u.ID, "support still works")
	if !a.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return hasTexts(ds, "support", "support still works") }) {
		t.Fatalf("support stopped with shop\n%s", tail(w.Logs(), 30))
	}
	p := w.statusPage(t)
	i := strings.Index(p, `data-bot="support"`)
	if i < 0 || !strings.Contains(p[i:min(len(p), i+400)], "running") {
		t.Errorf("support is not shown running:\n%s", p)
	}
}

// A reload while messages flow adds a bot and moves a bot to another
// desk; every message arrives, each where its bot's route said when it
// was committed, and an invalid file is rejected with the running config
// kept.
func TestBotsReload(t *testing.T) {
	w := newBotsWorld(t, []string{"support", "shop"}, []string{"desk-a", "desk-b"})
	w.writeBots(t, map[string]string{"support": `channels = ["desk-a"]`}, []string{"support"})
	w.start()
	support, shop := w.bots["support"], w.bots["shop"]
	u := telego.User{ID: 91, FirstName: "Cy"}
	support.AddUser(u)
	shop.AddUser(u)
	a, b := w.desks["desk-a"], w.desks["desk-b"]

	// Messages flow to support while the reload happens.
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		n := 0
		defer func() { sent <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			n++
			support.SendText(u.ID, fmt.Sprintf("flow %d", n))
			time.Sleep(20 * time.Millisecond) // pacing the sender, not asserting
		}
	}()
	if !a.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return hasTexts(ds, "support", "flow 3") }) {
		t.Fatalf("the flow never started\n%s", tail(w.Logs(), 30))
	}

	// An invalid file is rejected; the running config stays.
	before := w.statusPage(t)
	if err := os.WriteFile(w.config, []byte("[bots.Bad_Name]\ntoken = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.hup(t)
	if !testwait.Poll(15*time.Second, func() bool { return strings.Contains(w.Logs(), "config reload rejected") }) {
		t.Fatalf("the invalid file was not rejected\n%s", tail(w.Logs(), 30))
	}
	if !strings.Contains(w.Logs(), `invalid bot name`) {
		t.Errorf("the rejection does not say what parley check says\n%s", tail(w.Logs(), 30))
	}
	_ = before

	// Add shop (to desk-b) and move support to desk-b too.
	w.writeBots(t, map[string]string{"support": `channels = ["desk-b"]`, "shop": `channels = ["desk-b"]`}, []string{"support", "shop"})
	w.hup(t)
	if !testwait.Poll(20*time.Second, func() bool { return strings.Contains(w.Logs(), "config reloaded") }) {
		t.Fatalf("the reload was not applied\n%s", tail(w.Logs(), 30))
	}
	shop.SendText(u.ID, "shop after reload")
	if !b.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return hasTexts(ds, "shop", "shop after reload") }) {
		t.Fatalf("the added bot's message never reached desk-b\n%s", tail(w.Logs(), 40))
	}
	if !b.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return len(texts(ds, "support")) > 0 }) {
		t.Fatalf("support's messages never moved to desk-b\n%s", tail(w.Logs(), 40))
	}
	close(stop)
	n := <-sent
	// None lost: every message is at desk-a (before the reload) or
	// desk-b (after).
	want := map[string]bool{}
	for i := 1; i <= n; i++ {
		want[fmt.Sprintf("flow %d", i)] = true
	}
	missing := func() []string {
		got := map[string]bool{}
		for _, s := range append(texts(a.Received(), "support"), texts(b.Received(), "support")...) {
			got[s] = true
		}
		var out []string
		for s := range want {
			if !got[s] {
				out = append(out, s)
			}
		}
		return out
	}
	if !testwait.Poll(30*time.Second, func() bool { return len(missing()) == 0 }) {
		t.Fatalf("%d of %d messages lost across the reload: %v\n%s", len(missing()), n, missing(), tail(w.Logs(), 40))
	}
	p := w.statusPage(t)
	if !strings.Contains(p, `data-bot="shop"`) || !strings.Contains(p, "Revision") {
		t.Errorf("the status page does not show the added bot and the revision:\n%s", p)
	}
}

// Channels are added, changed and removed by a reload while the host runs:
// an added channel receives conversations and takes replies on its /hooks
// path, a changed one restarts with its new config, a removed one's
// undelivered messages wait in the outbox (nothing lost) until it comes
// back, and a channel that cannot start rejects the reload with the old
// config kept.
func TestReloadChannels(t *testing.T) {
	w := newBotsWorld(t, []string{"support"}, []string{"desk-a", "desk-b", "desk-c"})
	config := func(channels map[string]string, route string) {
		t.Helper()
		w.channels = channels
		w.writeBots(t, map[string]string{"support": "channels = " + route}, []string{"support"})
	}
	config(map[string]string{"alpha": "desk-a"}, `["alpha"]`)
	w.start()
	support := w.bots["support"]
	ada, bob := telego.User{ID: 301, FirstName: "Ada"}, telego.User{ID: 302, FirstName: "Bob"}
	support.AddUser(ada)
	support.AddUser(bob)
	a, b, c := w.desks["desk-a"], w.desks["desk-b"], w.desks["desk-c"]
	reload := func(what string) {
		t.Helper()
		before := strings.Count(w.Logs(), "config reloaded")
		w.hup(t)
		if !testwait.Poll(30*time.Second, func() bool { return strings.Count(w.Logs(), "config reloaded") > before }) {
			t.Fatalf("%s: the reload was not applied\n%s", what, tail(w.Logs(), 40))
		}
	}
	arrives := func(d *webhookdesk.Desk, text string) webhookdesk.Delivery {
		t.Helper()
		var got webhookdesk.Delivery
		if !d.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
			for _, x := range ds {
				if x.Message.Text == text {
					got = x
					return true
				}
			}
			return false
		}) {
			t.Fatalf("%q never reached the desk\n%s", text, tail(w.Logs(), 40))
		}
		return got
	}

	support.SendText(ada.ID, "one")
	arrives(a, "one")

	// Add beta to the bot's route: it receives the bot's conversations and
	// takes replies on /hooks/beta.
	config(map[string]string{"alpha": "desk-a", "beta": "desk-b"}, `["alpha", "beta"]`)
	reload("add beta")
	if strings.Contains(w.Logs(), "channel changed") {
		t.Errorf("adding beta restarted an unchanged channel\n%s", tail(w.Logs(), 40))
	}
	support.SendText(bob.ID, "two")
	two := arrives(b, "two")
	if code, body, err := b.SendReply(t.Context(), w.public+"/hooks/beta",
		webhookdesk.Reply{ConversationID: two.Conversation.ID, ID: "r-two", Text: "answer from beta"}); err != nil || code != 200 {
		t.Fatalf("reply through the added channel's hook: %d %s %v", code, body, err)
	}
	if _, err := support.WaitSent(1, 20*time.Second); err != nil {
		t.Fatalf("the added channel's reply never reached Telegram: %v", err)
	}

	// Change alpha's desk: its plugin restarts with the new URL.
	config(map[string]string{"alpha": "desk-c", "beta": "desk-b"}, `["alpha", "beta"]`)
	reload("change alpha")
	support.SendText(ada.ID, "three")
	arrives(c, "three")

	// A channel whose plugin is not installed rejects the reload; the
	// running channels stay.
	config(map[string]string{"alpha": "desk-c", "beta": "desk-b", "gamma": "no-such-plugin"}, `["alpha", "beta"]`)
	w.hup(t)
	if !testwait.Poll(30*time.Second, func() bool { return strings.Contains(w.Logs(), "config reload rejected") }) {
		t.Fatalf("the reload with a broken channel was not rejected\n%s", tail(w.Logs(), 40))
	}
	support.SendText(bob.ID, "after the rejected reload")
	arrives(b, "after the rejected reload")

	// Beta's desk is down when beta is removed: the message it has not
	// taken waits in the outbox and arrives once beta is back.
	b.FailNext(1_000_000, http.StatusServiceUnavailable)
	support.SendText(bob.ID, "four")
	arrives(c, "four")
	config(map[string]string{"alpha": "desk-c"}, `["alpha"]`)
	reload("remove beta")
	if code, _, err := b.SendReply(t.Context(), w.public+"/hooks/beta",
		webhookdesk.Reply{ConversationID: two.Conversation.ID, ID: "r-gone", Text: "too late"}); err != nil || code != http.StatusNotFound {
		t.Errorf("a reply to the removed channel's hook answered %d (%v), want 404", code, err)
	}
	b.FailNext(0, 0)
	config(map[string]string{"alpha": "desk-c", "beta": "desk-b"}, `["alpha", "beta"]`)
	reload("add beta back")
	arrives(b, "four")
}
