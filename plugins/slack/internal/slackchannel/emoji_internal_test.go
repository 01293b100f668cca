package slackchannel

import (
	"strings"
	"testing"
)

// telegramSet is Telegram's list of the emoji a bot may react with, as the
// Bot API documents it (ReactionTypeEmoji).
const telegramSet = "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡"

// Every Telegram reaction has a Slack name and comes back from it: the
// table covers Telegram's whole set, once each, both ways.
func TestEveryTelegramReactionMapsBothWays(t *testing.T) {
	set := strings.Fields(telegramSet)
	if len(set) != len(telegramReactions) {
		t.Errorf("table has %d emoji, Telegram's set %d", len(telegramReactions), len(set))
	}
	names := map[string]bool{}
	for _, e := range set {
		name, ok := slackName(e)
		if !ok {
			t.Errorf("%s (%q) has no Slack name", e, e)
			continue
		}
		if names[name] {
			t.Errorf("Slack name %q is used twice", name)
		}
		names[name] = true
		if back, ok := telegramEmoji(name); !ok || back != e {
			t.Errorf("%s → %q → %q, %v; want it back", e, name, back, ok)
		}
	}
	for name, e := range slackAliases {
		if _, ok := slackName(e); !ok {
			t.Errorf("alias %q maps to %q, which is not a Telegram reaction", name, e)
		}
	}
}

func TestReactionNamesTolerateSpellings(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"+1", "👍", true},
		{"thumbsup", "👍", true},
		{"+1::skin-tone-3", "👍", true},
		{":heart:", "❤", true},
		{"white_check_mark", "", false},
		{"partyparrot", "", false},
		{"", "", false},
	} {
		if got, ok := telegramEmoji(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("telegramEmoji(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"❤️", "heart", true}, // with the variation selector clients add
		{"❤", "heart", true},
		{"❤️‍🔥", "heart_on_fire", true},
		{"✅", "", false},
		{"", "", false},
	} {
		if got, ok := slackName(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("slackName(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
