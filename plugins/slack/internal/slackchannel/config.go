package slackchannel

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/config"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Config is the channel's config table, decoded by config.Decode from
// configKeys.
type Config struct {
	// BotToken is the bot user OAuth token (xoxb-...).
	BotToken string `config:"bot_token"`
	// SigningSecret verifies Events API requests (HTTP mode).
	SigningSecret string `config:"signing_secret"`
	// AppToken (xapp-...) switches to Socket Mode.
	AppToken string `config:"app_token"`
	// Channel is the channel id (C...) or name (#support or support).
	Channel string `config:"channel"`
	// UploadFiles uploads customer files into the thread instead of
	// posting links.
	UploadFiles bool `config:"upload_files"`
	// InternalPrefix marks thread messages the user must not see; "" turns
	// internal notes off.
	InternalPrefix *string `config:"internal_prefix"`
	// APIURL is the Web API base; tests point it at a fake.
	APIURL *url.URL `config:"api_url"`
	// CloseReaction is the emoji (short name) that closes a conversation
	// when an agent adds it to the header; removing it reopens.
	CloseReaction string `config:"close_reaction"`
	// ClaimReaction is the emoji that claims a conversation for the agent
	// who adds it to the header.
	ClaimReaction string `config:"claim_reaction"`
}

// Default reactions: ✅ closes, 👀 claims, as in Slack support tools.
const (
	DefaultCloseReaction = "white_check_mark"
	DefaultClaimReaction = "eyes"
)

// emojiName is an emoji short name as Slack sends it in reaction events:
// lower case, digits and _+-' (custom emoji included), no colons.
var emojiName = regexp.MustCompile(`^[a-z0-9_+'-]+$`)

// configKeys documents the table in Describe; its order is the order the
// operator reads them.
var configKeys = []sdk.ConfigKey{
	{Name: "bot_token", Description: "Bot User OAuth Token (xoxb-...) of the Slack app", Required: true, Secret: true},
	{Name: "signing_secret", Description: "Signing Secret of the app, for the Events API (HTTP mode)", Secret: true},
	{Name: "app_token", Description: "App-level token (xapp-..., connections:write): use Socket Mode instead of the Events API", Secret: true},
	{Name: "channel", Description: "Channel for conversations, by id (C0123ABC) or name (#support)", Required: true},
	{Name: "upload_files", Description: "Upload customer files into the thread (files:write) instead of posting links", Default: "false"},
	{Name: "internal_prefix", Description: "Thread messages starting with this stay internal", Default: "//"},
	{Name: "api_url", Description: "Slack Web API base URL", Default: DefaultAPIURL},
	{Name: "close_reaction", Description: "Emoji (short name) an agent adds to a conversation's header to close it; removing it reopens", Default: DefaultCloseReaction},
	{Name: "claim_reaction", Description: "Emoji (short name) an agent adds to a conversation's header to claim it", Default: DefaultClaimReaction},
}

// prefix is the internal-note prefix in effect.
func (c Config) prefix() string {
	if c.InternalPrefix == nil {
		return "//"
	}
	return *c.InternalPrefix
}

// socketMode reports whether events arrive over Socket Mode.
func (c Config) socketMode() bool { return c.AppToken != "" }

// parseConfig decodes and checks the table, reporting every problem at once
// with its key: config.Decode checks types, required and unknown keys; the
// checks below are Slack's own rules, applied to the keys Decode accepted.
// The error is the plugin's own mistake (see config.Decode).
func parseConfig(raw []byte) (Config, []sdk.ConfigError, error) {
	var c Config
	errs, err := config.Decode(raw, configKeys, &c)
	if err != nil {
		return c, nil, err
	}
	if len(errs) == 1 && errs[0].Key == "" {
		return c, errs, nil // not a table at all
	}
	decoded := func(key string) bool {
		return !slices.ContainsFunc(errs, func(e sdk.ConfigError) bool { return e.Key == key })
	}
	add := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}

	if decoded("bot_token") && !strings.HasPrefix(c.BotToken, "xoxb-") {
		add("bot_token", "must be a bot token starting with xoxb-")
	}
	switch {
	case !decoded("app_token") || !decoded("signing_secret"):
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-"):
		add("app_token", "must be an app-level token starting with xapp-")
	case c.AppToken == "" && c.SigningSecret == "":
		add("signing_secret", "required for the Events API; or set app_token (xapp-...) to use Socket Mode")
	}
	if decoded("channel") && strings.TrimPrefix(strings.TrimSpace(c.Channel), "#") == "" {
		add("channel", "required: a channel id (C0123ABC) or name (#support)")
	}
	if c.APIURL != nil && !strings.HasSuffix(c.APIURL.Path, "/") {
		c.APIURL.Path += "/" // slack-go appends the method name directly
	}
	if decoded("close_reaction") {
		c.CloseReaction = reactionKey("close_reaction", c.CloseReaction, DefaultCloseReaction, add)
	}
	if decoded("claim_reaction") {
		c.ClaimReaction = reactionKey("claim_reaction", c.ClaimReaction, DefaultClaimReaction, add)
	}
	if c.CloseReaction != "" && c.CloseReaction == c.ClaimReaction {
		add("claim_reaction", "must differ from close_reaction (both are %q)", c.CloseReaction)
	}
	return c, errs, nil
}

// reactionKey checks an emoji key: unset gives def; ":eyes:" is taken as
// "eyes", since that is how people type emoji; anything else that is not
// a short name is an error naming the key.
func reactionKey(key, v, def string, add func(key, format string, args ...any)) string {
	if v == "" {
		return def
	}
	name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), ":"), ":")
	if !emojiName.MatchString(name) {
		add(key, "must be an emoji short name such as %s (lower case, no spaces, no skin tone), got %q", def, v)
		return def
	}
	return name
}
