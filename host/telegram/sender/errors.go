package sender

import (
	"errors"
	"regexp"
	"strings"

	ta "github.com/mymmrac/telego/telegoapi"
)

// ErrBlocked matches (with errors.Is) every [BlockedError].
var ErrBlocked = errors.New("the user cannot be reached")

// BlockedError says Telegram will not deliver to the chat any more: the
// user blocked the bot, deleted their account, or the chat is gone.
// Retrying cannot help until the user writes again.
type BlockedError struct {
	// Description is Telegram's text, e.g. "Forbidden: bot was blocked by the user".
	Description string
}

// Error says the user cannot be reached, with Telegram's reason.
func (e *BlockedError) Error() string {
	return "telegram: the user cannot be reached: " + e.Description
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// tokenRE matches a bot token (the syntax telego enforces). Transport errors
// quote the request URL, which holds the token, so every error leaving this
// package is scrubbed.
var tokenRE = regexp.MustCompile(`\d+:[\w-]{35}`)

// scrubbed is an error whose text had the bot token removed; it still
// unwraps to the original for errors.Is/As.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub hides any bot token in err's text.
func scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !tokenRE.MatchString(msg) {
		return err
	}
	return &scrubbed{msg: tokenRE.ReplaceAllString(msg, "<token>"), err: err}
}

// apiError returns Telegram's error answer inside err, if any.
func apiError(err error) (*ta.Error, bool) {
	var e *ta.Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// isBlocked reports whether Telegram said the chat can never be written
// to: any 403 ("bot was blocked by the user", "user is deactivated", "bot
// can't initiate conversation", "bot was kicked") or "chat not found".
func isBlocked(e *ta.Error) bool {
	return e.ErrorCode == 403 ||
		(e.ErrorCode == 400 && strings.Contains(strings.ToLower(e.Description), "chat not found"))
}

// isParseError reports a 400 about broken markup.
func isParseError(err error) bool {
	e, ok := apiError(err)
	return ok && e.ErrorCode == 400 && strings.Contains(strings.ToLower(e.Description), "can't parse entities")
}

// isNotModified reports an edit that would not change the message.
func isNotModified(err error) bool {
	e, ok := apiError(err)
	return ok && e.ErrorCode == 400 && strings.Contains(strings.ToLower(e.Description), "message is not modified")
}
