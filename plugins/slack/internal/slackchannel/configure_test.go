package slackchannel_test

import (
	"strings"
	"testing"

	"github.com/parley-dev/parley/plugins/slack/internal/slackchannel"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestConfigureErrors(t *testing.T) {
	tests := []struct {
		name  string
		fake  []slackfake.Option
		edit  func(f *slackfake.Fake, c map[string]any)
		key   string
		words []string // the message must name these
	}{
		{name: "empty table", edit: func(_ *slackfake.Fake, c map[string]any) { clear(c) }, key: "bot_token", words: []string{"required"}},
		{name: "unknown key", edit: func(_ *slackfake.Fake, c map[string]any) { c["chanel"] = "x" }, key: "chanel", words: []string{"unknown"}},
		{name: "wrong type", edit: func(_ *slackfake.Fake, c map[string]any) { c["upload_files"] = "yes" }, key: "upload_files", words: []string{"true or false"}},
		{name: "user token", edit: func(_ *slackfake.Fake, c map[string]any) { c["bot_token"] = "xoxp-123" }, key: "bot_token", words: []string{"xoxb-"}},
		{name: "no way to receive events", edit: func(_ *slackfake.Fake, c map[string]any) { delete(c, "signing_secret") }, key: "signing_secret", words: []string{"app_token"}},
		{name: "bad app token", edit: func(_ *slackfake.Fake, c map[string]any) { c["app_token"] = "xoxb-1" }, key: "app_token", words: []string{"xapp-"}},
		{name: "bad token", edit: func(_ *slackfake.Fake, c map[string]any) { c["bot_token"] = "xoxb-wrong" }, key: "bot_token", words: []string{"invalid_auth"}},
		{name: "revoked token", edit: func(f *slackfake.Fake, _ map[string]any) { f.RevokeToken(slackfake.BotToken) }, key: "bot_token", words: []string{"token_revoked"}},
		{name: "missing scope", fake: []slackfake.Option{slackfake.WithBotScopes("chat:write", "channels:read", "users:read", "files:read")},
			key: "bot_token", words: []string{"channels:history"}},
		{name: "upload needs files:write", fake: []slackfake.Option{slackfake.WithBotScopes("chat:write", "channels:read", "channels:history", "users:read", "files:read")},
			edit: func(_ *slackfake.Fake, c map[string]any) { c["upload_files"] = true }, key: "bot_token", words: []string{"files:write"}},
		{name: "unknown channel name", edit: func(_ *slackfake.Fake, c map[string]any) { c["channel"] = "#nope" }, key: "channel", words: []string{"#nope"}},
		{name: "unknown channel id", edit: func(_ *slackfake.Fake, c map[string]any) { c["channel"] = "C0NOPE1" }, key: "channel", words: []string{"C0NOPE1"}},
		{name: "bot not in channel", fake: []slackfake.Option{slackfake.WithChannel(slackfake.Channel{ID: "C0OTHER", Name: "other"})},
			edit: func(_ *slackfake.Fake, c map[string]any) { c["channel"] = "other" }, key: "channel", words: []string{"/invite", "#other"}},
		{name: "archived channel", fake: []slackfake.Option{slackfake.WithChannel(slackfake.Channel{ID: "C0OLD", Name: "old", Archived: true, BotMember: true})},
			edit: func(_ *slackfake.Fake, c map[string]any) { c["channel"] = "C0OLD" }, key: "channel", words: []string{"archived"}},
		{name: "bad api_url", edit: func(_ *slackfake.Fake, c map[string]any) { c["api_url"] = "slack.com" }, key: "api_url"},
		{name: "close_reaction not an emoji name", edit: func(_ *slackfake.Fake, c map[string]any) { c["close_reaction"] = "✅" },
			key: "close_reaction", words: []string{"short name", "white_check_mark"}},
		{name: "claim_reaction with spaces", edit: func(_ *slackfake.Fake, c map[string]any) { c["claim_reaction"] = "big eyes" },
			key: "claim_reaction", words: []string{"short name"}},
		{name: "same emoji claims and closes", edit: func(_ *slackfake.Fake, c map[string]any) {
			c["close_reaction"], c["claim_reaction"] = "done", ":done:"
		}, key: "claim_reaction", words: []string{"close_reaction", "done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := slackfake.New(tt.fake...)
			defer f.Close()
			ch := slackchannel.New(slackchannel.Options{Version: "test"})
			defer ch.Close()
			cfg := baseConfig(f)
			if tt.edit != nil {
				tt.edit(f, cfg)
			}
			e := &env{t: t, ch: ch, host: plugintest.NewRecordingHost()}
			resp := e.configure(cfg)
			plugintest.AssertConfigErrors(t, resp, tt.key)
			for _, ce := range resp.Errors {
				if ce.Key != tt.key {
					continue
				}
				for _, w := range tt.words {
					if !strings.Contains(ce.Message, w) {
						t.Errorf("%s error %q does not mention %q", ce.Key, ce.Message, w)
					}
				}
				plugintest.AssertNoSecret(t, ce.Message, slackfake.BotToken)
			}
			if _, err := ch.Deliver(ctx(t), plugintest.SampleDeliver(text("hi"), nil)); err != sdk.ErrNotConfigured {
				t.Errorf("Deliver after a failed Configure: %v, want ErrNotConfigured", err)
			}
		})
	}
}

func TestConfigureByChannelIDAndName(t *testing.T) {
	for _, channel := range []string{slackfake.ChannelID, slackfake.ChannelName, "#" + slackfake.ChannelName} {
		t.Run(channel, func(t *testing.T) {
			e := newEnv(t, func(c map[string]any) { c["channel"] = channel })
			e.deliver(text("hi"), nil)
			if len(e.fake.Roots(slackfake.ChannelID)) != 1 {
				t.Errorf("nothing posted in #%s", slackfake.ChannelName)
			}
		})
	}
}

// TestConfigureReportsThreeProblemsAtOnce: an operator with a typo, a value
// of the wrong type and a user token where the bot token goes learns of all
// three in one pass, the typo with the key it probably meant.
func TestConfigureReportsThreeProblemsAtOnce(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	ch := slackchannel.New(slackchannel.Options{Version: "test"})
	defer ch.Close()
	cfg := baseConfig(f)
	cfg["chanel"] = "support"
	cfg["upload_files"] = "yes"
	cfg["bot_token"] = "xoxp-123"
	resp := (&env{t: t, ch: ch, host: plugintest.NewRecordingHost()}).configure(cfg)
	plugintest.AssertConfigErrors(t, resp, "chanel", "upload_files", "bot_token")
	if len(resp.Errors) != 3 {
		t.Errorf("Configure reported %d problems, want 3: %v", len(resp.Errors), resp.Errors)
	}
	for _, e := range resp.Errors {
		if e.Key == "chanel" && !strings.Contains(e.Message, `did you mean "channel"`) {
			t.Errorf("typo %q: %q does not suggest channel", e.Key, e.Message)
		}
	}
}
