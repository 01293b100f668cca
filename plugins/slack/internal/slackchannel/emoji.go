package slackchannel

import "strings"

// telegramReactions pairs every emoji Telegram lets a bot react with (its
// fixed standard set; setMessageReaction refuses others with
// REACTION_INVALID) with the Slack short name of the same emoji. Written
// by hand: no library carries Telegram's set, and Slack's names are its
// own. The emoji are as Telegram spells them, without variation
// selectors (U+FE0F).
var telegramReactions = []struct{ emoji, slack string }{
	{"👍", "+1"}, {"👎", "-1"}, {"❤", "heart"}, {"🔥", "fire"}, {"🥰", "smiling_face_with_3_hearts"},
	{"👏", "clap"}, {"😁", "grin"}, {"🤔", "thinking_face"}, {"🤯", "exploding_head"}, {"😱", "scream"},
	{"🤬", "face_with_symbols_on_mouth"}, {"😢", "cry"}, {"🎉", "tada"}, {"🤩", "star-struck"}, {"🤮", "face_vomiting"},
	{"💩", "hankey"}, {"🙏", "pray"}, {"👌", "ok_hand"}, {"🕊", "dove_of_peace"}, {"🤡", "clown_face"},
	{"🥱", "yawning_face"}, {"🥴", "woozy_face"}, {"😍", "heart_eyes"}, {"🐳", "whale"}, {"❤\u200d🔥", "heart_on_fire"},
	{"🌚", "new_moon_with_face"}, {"🌭", "hotdog"}, {"💯", "100"}, {"🤣", "rolling_on_the_floor_laughing"}, {"⚡", "zap"},
	{"🍌", "banana"}, {"🏆", "trophy"}, {"💔", "broken_heart"}, {"🤨", "face_with_raised_eyebrow"}, {"😐", "neutral_face"},
	{"🍓", "strawberry"}, {"🍾", "champagne"}, {"💋", "kiss"}, {"🖕", "middle_finger"}, {"😈", "smiling_imp"},
	{"😴", "sleeping"}, {"😭", "sob"}, {"🤓", "nerd_face"}, {"👻", "ghost"}, {"👨\u200d💻", "male-technologist"},
	{"👀", "eyes"}, {"🎃", "jack_o_lantern"}, {"🙈", "see_no_evil"}, {"😇", "innocent"}, {"😨", "fearful"},
	{"🤝", "handshake"}, {"✍", "writing_hand"}, {"🤗", "hugging_face"}, {"🫡", "saluting_face"}, {"🎅", "santa"},
	{"🎄", "christmas_tree"}, {"☃", "snowman"}, {"💅", "nail_care"}, {"🤪", "zany_face"}, {"🗿", "moyai"},
	{"🆒", "cool"}, {"💘", "cupid"}, {"🙉", "hear_no_evil"}, {"🦄", "unicorn_face"}, {"😘", "kissing_heart"},
	{"💊", "pill"}, {"🙊", "speak_no_evil"}, {"😎", "sunglasses"}, {"👾", "space_invader"}, {"🤷\u200d♂", "man-shrugging"},
	{"🤷", "shrug"}, {"🤷\u200d♀", "woman-shrugging"}, {"😡", "rage"},
}

// slackAliases are other Slack names of the same emoji: Slack accepts
// them and some clients send them.
var slackAliases = map[string]string{
	"thumbsup": "👍", "thumbsdown": "👎", "poop": "💩", "shit": "💩", "grinning_face_with_star_eyes": "🤩",
	"face_with_open_mouth_vomiting": "🤮", "serious_face_with_symbols_covering_mouth": "🤬",
	"reversed_hand_with_middle_finger_extended": "🖕", "hugging": "🤗", "heavy_heart_exclamation_mark_ornament": "❤",
	"lightning": "⚡", "man_technologist": "👨\u200d💻", "man_shrugging": "🤷\u200d♂",
	"woman_shrugging": "🤷\u200d♀", "pouting_face": "😡", "smiling_face_with_three_hearts": "🥰",
}

var (
	slackByEmoji    = map[string]string{}
	emojiBySlack    = map[string]string{}
	variationSelect = strings.NewReplacer("\uFE0F", "", "\uFE0E", "")
)

func init() {
	for _, r := range telegramReactions {
		slackByEmoji[r.emoji] = r.slack
		emojiBySlack[r.slack] = r.emoji
	}
	for name, e := range slackAliases {
		emojiBySlack[name] = e
	}
}

// slackName is the Slack short name of a Telegram reaction emoji; false
// when Slack has none for it in this table. Variation selectors, which
// Telegram clients may or may not send, do not matter.
func slackName(emoji string) (string, bool) {
	name, ok := slackByEmoji[variationSelect.Replace(emoji)]
	return name, ok
}

// telegramEmoji is the Telegram reaction emoji of a Slack short name, a
// skin tone dropped ("+1::skin-tone-3" is 👍: Telegram's reactions have
// none); false when Telegram does not allow the emoji as a bot's reaction.
func telegramEmoji(name string) (string, bool) {
	name, _, _ = strings.Cut(strings.Trim(name, ":"), "::")
	e, ok := emojiBySlack[name]
	return e, ok
}
