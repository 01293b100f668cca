package hipchatchannel

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/parley-dev/parley/sdk"
)

// grammar reads agent messages addressed to the plugin: "#42 text", or
// "@<bot> #42 text" when a bot mention is configured.
type grammar struct {
	mention string
	// pattern is the webhook pattern HipChat filters with: it matches what
	// looks addressed to the plugin (a leading "#" or the bot mention), so
	// mistakes reach the plugin and get a help answer, while ordinary
	// chatter in the room never leaves HipChat.
	pattern string
	re      *regexp.Regexp
}

func newGrammar(mention string) *grammar {
	p := `^\s*#`
	if mention != "" {
		// \b alone never matches after a mention ending in "." or "-".
		p = `(?i)^\s*(?:@` + regexp.QuoteMeta(mention) + `(?:\b|\s|$)|#)`
	}
	return &grammar{mention: mention, pattern: p, re: regexp.MustCompile(p)}
}

// verdict is what the grammar made of a message.
type verdict int

const (
	// ignore: not addressed to the plugin (ordinary chatter).
	ignore verdict = iota
	// malformed: addressed to the plugin without a usable handle.
	malformed
	// reply: a handle and (possibly empty) text.
	reply
)

// parse reads a message. For a reply it returns the conversation number
// and the text after the handle, trimmed, with inner newlines kept.
func (g *grammar) parse(msg string) (verdict, int64, string) {
	// Webhooks registered without our pattern deliver everything: apply
	// the same filter here.
	if !g.re.MatchString(msg) {
		return ignore, 0, ""
	}
	s := strings.TrimLeftFunc(msg, unicode.IsSpace)
	if g.mention != "" && len(s) > len(g.mention) && s[0] == '@' && strings.EqualFold(s[1:1+len(g.mention)], g.mention) {
		s = strings.TrimLeftFunc(s[1+len(g.mention):], unicode.IsSpace)
	}
	rest, ok := strings.CutPrefix(s, "#")
	if !ok {
		return malformed, 0, ""
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	digits, text := rest[:end], rest[end:]
	if text != "" {
		if r := []rune(text)[0]; !unicode.IsSpace(r) && r != ':' && r != ',' {
			return malformed, 0, "" // "#42abc", "#abc"
		}
		text = strings.TrimLeft(text, ":,")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return malformed, 0, ""
	}
	return reply, n, strings.TrimSpace(text)
}

// commands are the lifecycle commands an agent types after a handle:
// "#42 /close".
var commands = map[string]sdk.ActionKind{
	"/claim":   sdk.ActionClaim,
	"/unclaim": sdk.ActionUnclaim,
	"/close":   sdk.ActionClose,
	"/reopen":  sdk.ActionReopen,
}

// commandVerdict is what the text after a handle is.
type commandVerdict int

const (
	// notCommand: an answer for the customer.
	notCommand commandVerdict = iota
	// command: one of commands, alone.
	command
	// badCommand: looks like a command but is none (a typo, or a command
	// with more text); explained in the room rather than sent to the
	// customer, who should never receive "/clsoe".
	badCommand
)

// parseCommand reads the text after a handle. A lone word starting with
// "/" is a command (known or not); a known command followed by more text is
// a mistake; anything else, "/start the bot again" included, is an answer.
func parseCommand(text string) (commandVerdict, sdk.ActionKind) {
	if !strings.HasPrefix(text, "/") {
		return notCommand, ""
	}
	fields := strings.Fields(text)
	kind, known := commands[strings.ToLower(fields[0])]
	switch {
	case known && len(fields) == 1:
		return command, kind
	case known || len(fields) == 1:
		return badCommand, ""
	}
	return notCommand, ""
}
