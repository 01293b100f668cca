package telegramgroupchannel

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/config"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Config is the channel's config table, decoded by config.Decode from
// configKeys.
type Config struct {
	// BotToken is the staff bot's token (from @BotFather), never the
	// customer-facing bot's.
	BotToken string `config:"bot_token"`
	// GroupID is the staff supergroup's chat id (-100…).
	GroupID int64 `config:"group_id"`
	// InternalPrefix marks topic messages the customer must not see; ""
	// turns internal notes off.
	InternalPrefix *string `config:"internal_prefix"`
	// APIURL is the Bot API server; tests point it at a fake.
	APIURL *url.URL `config:"api_url"`
	// UploadFiles uploads customer files into the topic instead of posting
	// links.
	UploadFiles bool `config:"upload_files"`
	// Webhook receives the staff bot's updates at /hooks/<channel> instead
	// of polling getUpdates.
	Webhook bool `config:"webhook"`
}

// configKeys documents the table in Describe, in the order the operator
// reads them.
var configKeys = []sdk.ConfigKey{
	{Name: "bot_token", Description: "Token of the staff bot (from @BotFather): a second bot, administrator of the group with Manage topics; never the customer-facing bot's token", Required: true, Secret: true},
	{Name: "group_id", Description: "Chat id of the staff supergroup with topics turned on (negative, -100…)", Required: true},
	{Name: "internal_prefix", Description: "Topic messages starting with this stay in the group", Default: "//"},
	{Name: "api_url", Description: "Telegram Bot API server", Default: DefaultAPIURL},
	{Name: "upload_files", Description: "Upload customer files into the topic (agents see photos inline) instead of posting links", Default: "true"},
	{Name: "webhook", Description: "Receive the staff bot's updates at /hooks/<channel> (needs server.public_url on HTTPS) instead of polling getUpdates", Default: "false"},
}

// tokenShape is a Bot API token: the bot's id, a colon, 35 characters.
var tokenShape = regexp.MustCompile(`^\d+:[\w-]{35}$`)

// prefix is the internal-note prefix in effect.
func (c Config) prefix() string {
	if c.InternalPrefix == nil {
		return "//"
	}
	return *c.InternalPrefix
}

// parseConfig decodes and checks the table, reporting every problem at
// once with its key. The error is the plugin's own mistake (see
// config.Decode).
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
	if decoded("bot_token") && !tokenShape.MatchString(c.BotToken) {
		add("bot_token", "is not a Bot API token (123456:ABC…, as @BotFather gives it)")
	}
	if decoded("group_id") && !strings.HasPrefix(fmt.Sprint(c.GroupID), "-100") {
		add("group_id", "must be a supergroup's chat id, which starts with -100; see the plugin's README to find it")
	}
	if c.APIURL != nil {
		c.APIURL.Path = strings.TrimSuffix(c.APIURL.Path, "/")
	}
	return c, errs, nil
}
