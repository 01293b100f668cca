package hours

import (
	"strings"
	"time"
)

// NextOpenPlaceholder in an away message is replaced by the next opening.
const NextOpenPlaceholder = "{next_open}"

// Away is what a bot tells customers who write outside business hours.
type Away struct {
	Schedule *Schedule
	// Messages are the away messages by base language code ("de"); the
	// one under "" is the default, written in English.
	Messages map[string]string
	// Every is the shortest time between two away messages of one
	// conversation.
	Every time.Duration
	// AgentQuiet: no away message when an agent wrote to the customer
	// less than this long ago (they are talking; the agent is there).
	AgentQuiet time.Duration
}

// DefaultAgentQuiet is Away.AgentQuiet.
const DefaultAgentQuiet = 15 * time.Minute

// Message is the away message at now for a customer whose Telegram
// client language is languageCode ("de-AT"): the translation for its base
// language when there is one, with {next_open} in that language, else the
// default message with {next_open} in English.
func (a *Away) Message(now time.Time, languageCode string) string {
	lang := BaseLanguage(languageCode)
	text, ok := a.Messages[lang]
	if !ok || lang == "" {
		text, lang = a.Messages[""], "en"
	}
	if !strings.Contains(text, NextOpenPlaceholder) {
		return text
	}
	next, ok := a.Schedule.NextOpen(now)
	when := ""
	if ok {
		when = a.Schedule.Format(next, now, lang)
	}
	return strings.ReplaceAll(text, NextOpenPlaceholder, when)
}
