// Package reactions knows which emoji a bot may set as a message reaction
// (setMessageReaction): Telegram's standard set, as the Bot API documents
// it under ReactionTypeEmoji. A bot is not Premium, so it sets at most one.
package reactions

import "strings"

// standard is the Bot API's list of reaction emoji.
var standard = func() map[string]bool {
	out := map[string]bool{}
	for _, e := range strings.Fields("👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡") {
		out[e] = true
	}
	return out
}()

// Normalize returns emoji as Telegram spells it in its reaction set, and
// whether it is in the set. Desks often add the emoji presentation
// selector (U+FE0F: "❤️", "☃️"), which Telegram's list leaves out.
func Normalize(emoji string) (string, bool) {
	if standard[emoji] {
		return emoji, true
	}
	bare := strings.ReplaceAll(emoji, "\uFE0F", "")
	return bare, standard[bare]
}
