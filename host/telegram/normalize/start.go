package normalize

import (
	"strings"
	"unicode"
)

// maxPayload is the longest deep-link payload Telegram passes on.
const maxPayload = 64

// startCommand reports whether text is a /start addressed to this bot and
// returns the words after it.
func startCommand(text, botUsername string) (string, bool) {
	return command(text, "/start", botUsername)
}

// command reports whether text is the command name ("/new") addressed to
// this bot and returns the words after it.
func command(text, name, botUsername string) (string, bool) {
	rest, ok := strings.CutPrefix(text, name)
	if !ok {
		return "", false
	}
	if name, ok := strings.CutPrefix(rest, "@"); ok {
		end := strings.IndexFunc(name, unicode.IsSpace)
		if end < 0 {
			end = len(name)
		}
		if end == 0 || (botUsername != "" && !strings.EqualFold(name[:end], botUsername)) {
			return "", false
		}
		rest = name[end:]
	}
	if rest != "" {
		r := []rune(rest)[0]
		if !unicode.IsSpace(r) {
			return "", false // "/startle" is not a command
		}
	}
	return strings.TrimSpace(rest), true
}

// validPayload reports whether p can have come from a t.me/bot?start= link:
// at most 64 characters of A-Z, a-z, 0-9, "_" and "-" (empty is a bare /start).
func validPayload(p string) bool {
	if len(p) > maxPayload {
		return false
	}
	for _, c := range p {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
