package intake

import (
	"errors"
	"regexp"
	"strings"

	ta "github.com/mymmrac/telego/telegoapi"
)

// ErrUnauthorized means Telegram rejected the bot token (401): it was revoked or is wrong. Polling
// cannot recover from it, so Run returns it.
var ErrUnauthorized = errors.New("telegram rejected the bot token (401 Unauthorized): it was revoked in @BotFather or is wrong; set a valid token and restart")

// ErrConflict is logged (not returned) while Telegram answers 409 to getUpdates.
var ErrConflict = errors.New("telegram answered 409 Conflict: another parley or bot client is polling this token, or a webhook is set: stop it or run `parley run` with mode = polling to delete the webhook")

// tokenInURL matches a bot token in a Bot API URL path (/bot<token>/ and /file/bot<token>/).
var tokenInURL = regexp.MustCompile(`bot\d+:[\w-]+`)

// scrub removes the bot token from text: transport errors quote the request URL, which holds it.
func scrub(text, token string) string {
	if token != "" {
		text = strings.ReplaceAll(text, token, "<token>")
	}
	return tokenInURL.ReplaceAllString(text, "bot<token>")
}

// scrubError returns err without the token. A Bot API error never holds the URL and is kept as
// is so callers can inspect it; anything else becomes a plain error with scrubbed text, because
// wrapping the original would let the token out through Unwrap.
func scrubError(err error, token string) error {
	if err == nil {
		return nil
	}
	var apiErr *ta.Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return errors.New(scrub(err.Error(), token))
}
