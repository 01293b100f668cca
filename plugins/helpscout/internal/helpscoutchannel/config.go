package helpscoutchannel

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/config"
)

// maxSecretLen is Help Scout's limit on a webhook secret.
const maxSecretLen = 40

// configKeys documents the table for Describe and drives config.Decode.
var configKeys = []sdk.ConfigKey{
	{Name: "app_id", Description: "App ID of a Help Scout app (Your Profile → My Apps)", Required: true},
	{Name: "app_secret", Description: "App Secret of that app", Required: true, Secret: true},
	{Name: "mailbox_id", Description: "id of the mailbox (Inbox) that receives Telegram conversations", Required: true},
	{Name: "webhook_secret", Description: "secret of the Help Scout webhook (at most 40 characters)", Required: true, Secret: true},
	{Name: "tags", Description: "tags added to every conversation, besides \"telegram\""},
	{Name: "upload_files", Description: "attach Telegram files to threads instead of linking them", Default: "false"},
	{Name: "api_url", Description: "Help Scout API root", Default: hsapi.DefaultBaseURL},
}

// Config is a validated config table (named as in docs/plugin-authors.md;
// "config" is the decoding package).
type Config struct {
	AppID         string   `config:"app_id"`
	AppSecret     string   `config:"app_secret"`
	MailboxID     int64    `config:"mailbox_id"`
	WebhookSecret string   `config:"webhook_secret"`
	Tags          []string `config:"tags"`
	UploadFiles   bool     `config:"upload_files"`
	APIURL        *url.URL `config:"api_url"`
}

// parseConfig decodes the table and reports every problem at once, one per
// key: config.Decode checks types, required and unknown keys; the checks
// below are Help Scout's own rules, applied to the keys Decode accepted.
func parseConfig(raw []byte) (Config, []sdk.ConfigError, error) {
	var cfg Config
	errs, err := config.Decode(raw, configKeys, &cfg)
	if err != nil {
		return cfg, nil, err
	}
	if len(errs) == 1 && errs[0].Key == "" {
		return cfg, errs, nil // not a table at all
	}
	decoded := func(key string) bool {
		return !slices.ContainsFunc(errs, func(e sdk.ConfigError) bool { return e.Key == key })
	}
	fail := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	cfg.AppID = strings.TrimSpace(cfg.AppID)
	cfg.AppSecret = strings.TrimSpace(cfg.AppSecret)
	cfg.WebhookSecret = strings.TrimSpace(cfg.WebhookSecret)
	if decoded("webhook_secret") && len(cfg.WebhookSecret) > maxSecretLen {
		fail("webhook_secret", "must be at most %d characters (Help Scout's limit)", maxSecretLen)
	}
	if decoded("mailbox_id") && cfg.MailboxID <= 0 {
		fail("mailbox_id", "must be a positive integer (the id in the mailbox's URL)")
	}
	for _, t := range cfg.Tags {
		if strings.TrimSpace(t) == "" {
			fail("tags", "must not contain an empty tag")
			break
		}
	}
	return cfg, errs, nil
}
