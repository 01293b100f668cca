package slackchannel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/parley-dev/parley/sdk"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Config is the channel's config table.
type Config struct {
	// BotToken is the bot user OAuth token (xoxb-...).
	BotToken string `json:"bot_token"`
	// SigningSecret verifies Events API requests (HTTP mode).
	SigningSecret string `json:"signing_secret"`
	// AppToken (xapp-...) switches to Socket Mode.
	AppToken string `json:"app_token"`
	// Channel is the channel id (C...) or name (#support or support).
	Channel string `json:"channel"`
	// UploadFiles uploads customer files into the thread instead of
	// posting links.
	UploadFiles bool `json:"upload_files"`
	// InternalPrefix marks thread messages the user must not see.
	InternalPrefix *string `json:"internal_prefix"`
	// APIURL is the Web API base; tests point it at a fake.
	APIURL string `json:"api_url"`
	// CloseReaction is the emoji (short name) that closes a conversation
	// when an agent adds it to the header; removing it reopens.
	CloseReaction string `json:"close_reaction"`
	// ClaimReaction is the emoji that claims a conversation for the agent
	// who adds it to the header.
	ClaimReaction string `json:"claim_reaction"`
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
// with its key.
func parseConfig(raw json.RawMessage) (Config, []sdk.ConfigError) {
	var errs []sdk.ConfigError
	add := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Config{}, []sdk.ConfigError{{Message: "config is not a JSON object: " + err.Error()}}
	}
	known := make([]string, 0, len(configKeys))
	for _, k := range configKeys {
		known = append(known, k.Name)
	}
	var unknown []string
	for k := range fields {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		add(k, "unknown key (known keys: %s)", strings.Join(known, ", "))
	}

	var c Config
	for _, k := range known {
		v, ok := fields[k]
		if !ok {
			continue
		}
		// Decode key by key so one mistyped value does not hide the others.
		single, _ := json.Marshal(map[string]json.RawMessage{k: v})
		if err := json.Unmarshal(single, &c); err != nil {
			add(k, "wrong type: %s", typeHint(k))
		}
	}

	switch {
	case c.BotToken == "":
		add("bot_token", "required: the app's Bot User OAuth Token (xoxb-...)")
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		add("bot_token", "must be a bot token starting with xoxb-")
	}
	switch {
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-"):
		add("app_token", "must be an app-level token starting with xapp-")
	case c.AppToken == "" && c.SigningSecret == "":
		add("signing_secret", "required for the Events API; or set app_token (xapp-...) to use Socket Mode")
	}
	if strings.TrimPrefix(strings.TrimSpace(c.Channel), "#") == "" {
		add("channel", "required: a channel id (C0123ABC) or name (#support)")
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	} else if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("api_url", "must be an http(s) URL such as %s", DefaultAPIURL)
	} else if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/" // slack-go appends the method name directly
	}
	c.CloseReaction = reactionKey("close_reaction", c.CloseReaction, DefaultCloseReaction, add)
	c.ClaimReaction = reactionKey("claim_reaction", c.ClaimReaction, DefaultClaimReaction, add)
	if c.CloseReaction != "" && c.CloseReaction == c.ClaimReaction {
		add("claim_reaction", "must differ from close_reaction (both are %q)", c.CloseReaction)
	}
	return c, errs
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

func typeHint(key string) string {
	if key == "upload_files" {
		return "want true or false"
	}
	return "want a string"
}
