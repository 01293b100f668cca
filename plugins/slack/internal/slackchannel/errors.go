package slackchannel

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
	"github.com/slack-go/slack"
)

// hints say what the desk owner can do about a Slack error code that
// retrying will not fix.
var hints = map[string]string{
	"invalid_auth":            "Slack rejected bot_token; check it or reinstall the app",
	"not_authed":              "no token was sent; set bot_token",
	"token_revoked":           "bot_token was revoked; reinstall the app and update bot_token",
	"token_expired":           "bot_token expired; reinstall the app and update bot_token",
	"account_inactive":        "the app was uninstalled or the workspace deleted; reinstall the app",
	"channel_not_found":       "the channel does not exist or is private and the bot is not in it; check channel",
	"not_in_channel":          "the bot is not a member of the channel; /invite the app there",
	"is_archived":             "the channel is archived; unarchive it or set another channel",
	"missing_scope":           "the app lacks a scope; add it in the app settings and reinstall",
	"msg_too_long":            "the message is too long for Slack",
	"no_text":                 "the message was empty",
	"invalid_blocks":          "Slack refused the message layout",
	"cannot_reply_to_message": "Slack does not allow replies to the thread's parent message",
	"restricted_action":       "a workspace policy forbids the bot to post in the channel",
	"not_allowed_token_type":  "a token of the wrong type was used (bot_token must be xoxb-, app_token xapp-)",
}

// classify turns a Slack API error into what the host should do with it:
// retry after Slack's wait, give up (sdk.Permanent, with a hint the desk
// owner can act on), or retry with backoff (anything else).
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if wait, ok := rateLimited(err); ok {
		return sdk.RetryAfter(fmt.Errorf("slack %s: rate limited: %w", op, err), wait)
	}
	if _, ok := errors.AsType[slack.StatusCodeError](err); ok {
		return fmt.Errorf("slack %s: %w", op, err)
	}
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch se.Err {
		case "missing_scope":
			return sdk.Permanent(fmt.Errorf("slack %s: missing_scope %s: %s", op, se.Needed, hints["missing_scope"]))
		}
		if hint, ok := hints[se.Err]; ok || isRestricted(se.Err) {
			if hint == "" {
				hint = hints["restricted_action"]
			}
			return sdk.Permanent(fmt.Errorf("slack %s: %s: %s", op, se.Err, hint))
		}
	}
	return fmt.Errorf("slack %s: %w", op, err)
}

// rateLimited is the one place that reads Slack's rate limits, in the
// three forms slack-go reports them: a *slack.RateLimitedError carrying the
// Retry-After slack-go parsed, an HTTP 429 without that header, and an
// ok:false "ratelimited" answer (the posting-rate limit, which has none).
// The last two wait the SDK's fallback.
func rateLimited(err error) (wait time.Duration, ok bool) {
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return rl.RetryAfter, true
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok && sc.Code == http.StatusTooManyRequests {
		return deskhttp.FallbackRetryAfter, true
	}
	if code := slackCode(err); code == "ratelimited" || code == "rate_limited" {
		return deskhttp.FallbackRetryAfter, true
	}
	return 0, false
}

func isRestricted(code string) bool { return strings.HasPrefix(code, "restricted_action") }

// slackCode is the Slack error code of err, "" when it is not an ok:false
// answer.
func slackCode(err error) string {
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return se.Err
	}
	return ""
}
