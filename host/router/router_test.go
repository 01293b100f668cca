package router

import (
	"slices"
	"testing"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
)

const rulesConfig = `[telegram]
token = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
[[telegram.routes]]
start_payload = ["billing", "invoice"]
channels = ["helpscout"]
[[telegram.routes]]
language = ["de", "at"]
channels = ["slack-de"]
[[telegram.routes]]
keyword = "(?i)refund|invoice"
channels = ["helpscout"]
[[telegram.routes]]
language = "fr"
keyword = "urgent"
channels = ["slack-fr"]
[channels.slack]
plugin = "slack"
[channels.slack-de]
plugin = "slack"
[channels.slack-fr]
plugin = "slack"
[channels.helpscout]
plugin = "helpscout"
`

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse("parley.toml", []byte(text), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecide(t *testing.T) {
	c := parse(t, rulesConfig)
	r := WithRules(names(c), c.Telegram.Routes, c.Telegram.Menu)
	every := names(c)
	for _, tt := range []struct {
		name string
		u    Update
		want []string // nil: decides nothing
	}{
		{"payload", Update{Start: true, Payload: "billing"}, []string{"helpscout"}},
		{"payload from a list", Update{Start: true, Payload: "invoice"}, []string{"helpscout"}},
		{"payload is exact", Update{Start: true, Payload: "billing2", HasMessage: true, Text: "hi"}, every},
		{"language prefix", Update{Language: "de-AT", HasMessage: true, Text: "hallo"}, []string{"slack-de"}},
		{"language at /start", Update{Start: true, Language: "at"}, []string{"slack-de"}},
		{"the first rule wins", Update{Start: true, Payload: "billing", Language: "de"}, []string{"helpscout"}},
		{"keyword, case-insensitive", Update{HasMessage: true, Text: "I need a REFUND"}, []string{"helpscout"}},
		{"keyword needs a message", Update{Start: true}, nil},
		{"every condition must hold", Update{Language: "fr", HasMessage: true, Text: "bonjour"}, every},
		{"both conditions", Update{Language: "fr", HasMessage: true, Text: "urgent!"}, []string{"slack-fr"}},
		{"no rule: the default", Update{Language: "en", HasMessage: true, Text: "hello"}, every},
	} {
		got := r.Decide(tt.u)
		if got == nil || got.Menu != nil || !slices.Equal(got.Channels, tt.want) {
			t.Errorf("%s: Decide(%+v) = %+v, want channels %v", tt.name, tt.u, got, tt.want)
		}
	}
}

func TestDecideMenu(t *testing.T) {
	c := parse(t, rulesConfig+`
[telegram.menu]
question = "What is it about?"
options = [{ label = "Sales", channels = ["slack"] }]
`)
	r := WithRules(names(c), c.Telegram.Routes, c.Telegram.Menu)
	for _, u := range []Update{{Start: true}, {Start: true, Payload: "unknown"}} {
		if got := r.Decide(u); got == nil || got.Menu == nil || got.Menu.Question != "What is it about?" || got.Channels != nil {
			t.Errorf("Decide(%+v) = %+v, want the menu", u, got)
		}
	}
	if got := r.Decide(Update{Start: true, Payload: "billing"}); got.Menu != nil {
		t.Errorf("a payload rule matched, yet the menu was asked: %+v", got)
	}
	if got := r.Decide(Update{HasMessage: true, Text: "hello"}); got.Menu != nil {
		t.Errorf("a message without /start asked the menu: %+v", got)
	}
	if got := r.Route(store.Conversation{RouteState: store.RouteMenu}); got != nil {
		t.Errorf("a conversation waiting for its menu routes to %v", got)
	}
}

func TestNoRules(t *testing.T) {
	r := New([]string{"slack", "helpscout"})
	if got := r.Decide(Update{HasMessage: true, Text: "refund"}); got != nil {
		t.Errorf("without rules Decide = %+v, want nil", got)
	}
	if got := r.Route(store.Conversation{}); !slices.Equal(got, []string{"slack", "helpscout"}) {
		t.Errorf("Route of an unrouted conversation = %v", got)
	}
	if got := r.Route(store.Conversation{RouteState: store.RouteSet, Route: []string{"helpscout"}}); !slices.Equal(got, []string{"helpscout"}) {
		t.Errorf("Route of a routed conversation = %v", got)
	}
}

func names(c *config.Config) []string {
	var out []string
	for _, ch := range c.EnabledChannels() {
		out = append(out, ch.Name)
	}
	return out
}

// A bot's conversations go to its channels only; a bot without channels,
// and the default bot, go to every enabled channel; a bot's channel that
// is not enabled is left out; Set replaces the table.
func TestBotDefaultRoutes(t *testing.T) {
	r := New([]string{"slack", "helpscout"})
	if got := r.Route(store.Conversation{Bot: "shop"}); !slices.Equal(got, []string{"slack", "helpscout"}) {
		t.Errorf("before Set: %v", got)
	}
	r.Set([]string{"slack", "helpscout"}, map[string]Bot{"shop": {Channels: []string{"helpscout", "hipchat"}}, "support": {}})
	for bot, want := range map[string][]string{
		"shop": {"helpscout"}, "support": {"slack", "helpscout"}, "": {"slack", "helpscout"}, "other": {"slack", "helpscout"},
	} {
		if got := r.Route(store.Conversation{Bot: bot}); !slices.Equal(got, want) {
			t.Errorf("bot %q: %v, want %v", bot, got, want)
		}
	}
	r.Set([]string{"slack"}, map[string]Bot{store.DefaultBot: {Channels: []string{"slack"}}})
	if got := r.ForBot("shop"); !slices.Equal(got, []string{"slack"}) {
		t.Errorf("after a reload: %v", got)
	}
}

// Rules and menus are per bot: another bot's conversation is routed by
// its own (none here: nil, intake as before routing).
func TestRulesArePerBot(t *testing.T) {
	r := New([]string{"slack", "helpscout"})
	r.Set([]string{"slack", "helpscout"}, map[string]Bot{
		"shop": {Channels: []string{"slack"}, Rules: []config.Route{{Language: []string{"de"}, Channels: []string{"helpscout"}}}},
	})
	if got := r.Decide(Update{Bot: "shop", HasMessage: true, Language: "de-AT"}); got == nil || !slices.Equal(got.Channels, []string{"helpscout"}) {
		t.Errorf("shop, German: %+v", got)
	}
	if got := r.Decide(Update{Bot: "shop", HasMessage: true, Language: "en"}); got == nil || !slices.Equal(got.Channels, []string{"slack"}) {
		t.Errorf("shop, no rule matching: %+v, want its default route", got)
	}
	if got := r.Decide(Update{Bot: "support", HasMessage: true, Language: "de"}); got != nil {
		t.Errorf("support has no rules: %+v", got)
	}
}
