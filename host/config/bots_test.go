package config

import (
	"slices"
	"strings"
	"testing"
)

const otherToken = "654321:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

// [bots.<name>] tables become the bots, in file order, each with every
// key of [telegram] and [telegram]'s defaults; a webhook bot's path is
// /telegram/<name>. The one-bot form is the bot named "default".
func TestBots(t *testing.T) {
	text := `[server]
public_url = "https://p.example.com"
[bots.support]
token = "` + testToken + `"
welcome_message = "Hi! Ask us anything."
channels = ["slack"]
[bots.shop-2]
token = "` + otherToken + `"
mode = "webhook"
[channels.slack]
plugin = "slack"
`
	c, err := Parse("parley.toml", []byte(text), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	bots := c.Bots()
	if len(bots) != 2 || bots[0].Name != "support" || bots[1].Name != "shop-2" {
		t.Fatalf("bots: %+v", bots)
	}
	if bots[0].WelcomeMessage != "Hi! Ask us anything." || !slices.Equal(bots[0].Channels, []string{"slack"}) || bots[0].Mode != ModePolling {
		t.Errorf("support: %+v", bots[0])
	}
	if bots[1].WebhookPath != "/telegram/shop-2" || bots[1].Channels != nil || bots[1].APIURL != "https://api.telegram.org" {
		t.Errorf("shop-2: %+v", bots[1])
	}
	if !slices.Contains(c.Secrets(), otherToken) {
		t.Error("a bot's token is not a secret to redact")
	}

	one, err := Parse("parley.toml", []byte(minimal), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if b := one.Bots(); len(b) != 1 || b[0].Name != "default" || b[0].Token != testToken || b[0].WebhookPath != "/telegram/webhook" {
		t.Errorf("the one-bot form: %+v", b)
	}
}

// parley check lists every problem of several bots at once: a config
// mixing [telegram] and [bots.*], a name outside [a-z0-9-], two bots with
// one token, a channel no table configures.
func TestBotProblems(t *testing.T) {
	text := minimal + `[bots.Support_1]
token = "` + testToken + `"
[bots.shop]
token = "` + testToken + `"
channels = ["helpscout"]
tokn = "x"
`
	errs := parseProblems(t, text, nil)
	var got []string
	for _, p := range errs {
		got = append(got, p.Key+": "+p.Message+" ("+p.Fix+")")
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"telegram: cannot be used together with [bots.<name>] tables",
		`bots.Support_1: invalid bot name "Support_1"`,
		"bots.shop.token: is the token of bot Support_1 too",
		`bots.shop.channels: names channel "helpscout"`,
		"bots.shop.tokn: unknown key",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, testToken) {
		t.Error("a problem echoes the token")
	}
}
