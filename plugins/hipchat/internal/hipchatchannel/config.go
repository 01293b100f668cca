package hipchatchannel

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk"
	sdkconfig "github.com/parley-dev/parley/sdk/config"
)

// configKeys documents the table; Describe returns it and parseConfig
// decodes by it.
var configKeys = []sdk.ConfigKey{
	{Name: "server_url", Description: "HipChat server URL (HipChat Server/Data Center host; \"/v2\" optional)", Default: hcapi.DefaultServerURL},
	{Name: "room", Description: "room id (preferred) or name the conversations are posted to", Required: true},
	{Name: "token", Description: "API token: a room notification token, or a personal token with send_notification and admin_room to register the webhook", Required: true, Secret: true},
	{Name: "webhook_secret", Description: "secret last path segment of the webhook URL (16+ URL-safe characters), or the add-on's OAuth secret for JWT-signed webhooks", Required: true, Secret: true},
	{Name: "color", Description: "notification color: yellow, green, red, purple, gray or random", Default: "yellow"},
	{Name: "notify", Description: "customer notifications ping the room (sound, badge, push)", Default: "true"},
	{Name: "bot_mention", Description: "mention name agents may start replies with: \"@parley #42 text\""},
	{Name: "bot_user_id", Description: "HipChat user id the token acts as; its own messages are ignored"},
	{Name: "register_webhook", Description: "register the room_message webhook at start (needs admin_room and the host's public URL)", Default: "false"},
}

// config is the channel's config table, decoded and checked.
type config struct {
	// ServerURL is the HipChat server, with or without "/v2".
	ServerURL string `config:"server_url"`
	// Room is the room's numeric id (preferred: it survives renames) or name.
	Room string `config:"room"`
	// Token sends notifications; with admin_room it also registers the webhook.
	Token string `config:"token"`
	// WebhookSecret authenticates incoming webhooks: the secret last path
	// segment of a plain webhook's URL, or the OAuth secret that keys the
	// JWT of an add-on webhook.
	WebhookSecret string `config:"webhook_secret"`
	// Color of customer notifications.
	Color string `config:"color"`
	// Notify makes customer notifications ping (sound, badge, push).
	Notify bool `config:"notify"`
	// BotMention lets agents write "@<bot_mention> #42 text"; stored
	// without the "@".
	BotMention string `config:"bot_mention"`
	// BotUserID is the HipChat user the plugin's own token acts as; its
	// messages are never taken for replies.
	BotUserID int64 `config:"bot_user_id"`
	// RegisterWebhook makes Configure register the room_message webhook.
	RegisterWebhook bool `config:"register_webhook"`
}

var (
	secretChars  = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	mentionChars = regexp.MustCompile(`^@?[A-Za-z0-9_.-]+$`)
	colors       = map[string]bool{"yellow": true, "green": true, "red": true, "purple": true, "gray": true, "random": true}
)

// minSecretLen keeps the secret URL segment unguessable.
const minSecretLen = 16

// parseConfig decodes the table and checks what the types cannot say,
// reporting every problem at once. hookBaseURL is the host's public URL
// for this channel's webhook ("" when server.public_url is not set). The
// error is the plugin's own mistake (a tag naming an undeclared key).
func parseConfig(raw json.RawMessage, hookBaseURL string) (config, []sdk.ConfigError, error) {
	var c config
	errs, err := sdkconfig.Decode(raw, configKeys, &c)
	if err != nil {
		return config{}, nil, err
	}
	// Each key gets one error: the decoder's, when it found one.
	add := func(key, msg string) {
		if !slices.ContainsFunc(errs, func(e sdk.ConfigError) bool { return e.Key == key }) {
			errs = append(errs, sdk.ConfigError{Key: key, Message: msg})
		}
	}
	if c.ServerURL == "" {
		c.ServerURL = hcapi.DefaultServerURL
	}
	if _, err := hcapi.ParseServerURL(c.ServerURL); err != nil {
		add("server_url", err.Error())
	}
	c.Room = strings.TrimSpace(c.Room)
	if c.Room == "" {
		add("room", "required: the room's numeric id (or its name)")
	} else if len([]rune(c.Room)) > 100 {
		add("room", "a room name has at most 100 characters")
	}
	switch {
	case c.WebhookSecret == "":
		add("webhook_secret", "required: a random secret that authenticates HipChat's webhooks")
	case len(c.WebhookSecret) < minSecretLen:
		add("webhook_secret", "must be at least "+strconv.Itoa(minSecretLen)+" characters")
	case !secretChars.MatchString(c.WebhookSecret):
		add("webhook_secret", "may contain only letters, digits and . _ ~ - (it is a URL path segment)")
	}
	if c.Color == "" {
		c.Color = "yellow"
	}
	if !colors[c.Color] {
		add("color", "must be one of yellow, green, red, purple, gray, random")
	}
	if c.BotMention != "" {
		if !mentionChars.MatchString(c.BotMention) {
			add("bot_mention", "must be a HipChat mention name such as \"parley\"")
		}
		c.BotMention = strings.TrimPrefix(c.BotMention, "@")
	}
	if c.BotUserID < 0 {
		add("bot_user_id", "must be a HipChat user id")
	}
	if c.RegisterWebhook && hookBaseURL == "" {
		add("register_webhook", "needs the host's public URL (server.public_url) so HipChat can reach the webhook")
	}
	return c, errs, nil
}
