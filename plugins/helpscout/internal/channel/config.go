package channel

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
)

// maxSecretLen is Help Scout's limit on a webhook secret.
const maxSecretLen = 40

// config is a validated config table.
type config struct {
	AppID         string
	AppSecret     string
	MailboxID     int64
	WebhookSecret string
	Tags          []string
	UploadFiles   bool
	APIURL        string
}

// configKeys documents the table for Describe.
var configKeys = []sdk.ConfigKey{
	{Name: "app_id", Description: "App ID of a Help Scout app (Your Profile → My Apps)", Required: true},
	{Name: "app_secret", Description: "App Secret of that app", Required: true, Secret: true},
	{Name: "mailbox_id", Description: "id of the mailbox (Inbox) that receives Telegram conversations", Required: true},
	{Name: "webhook_secret", Description: "secret of the Help Scout webhook (at most 40 characters)", Required: true, Secret: true},
	{Name: "tags", Description: "tags added to every conversation, besides \"telegram\""},
	{Name: "upload_files", Description: "attach Telegram files to threads instead of linking them", Default: "false"},
	{Name: "api_url", Description: "Help Scout API root", Default: hsapi.DefaultBaseURL},
}

// parseConfig decodes the table and reports every problem at once, one per
// key. Unknown keys are errors: a typo must not silently disable a setting.
func parseConfig(raw json.RawMessage) (config, []sdk.ConfigError) {
	cfg := config{APIURL: hsapi.DefaultBaseURL}
	var errs []sdk.ConfigError
	fail := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	table := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &table); err != nil {
			return cfg, []sdk.ConfigError{{Message: "config is not a table: " + err.Error()}}
		}
	}
	known := map[string]bool{}
	for _, k := range configKeys {
		known[k.Name] = true
	}
	var unknown []string
	for k := range table {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		fail(k, "unknown key")
	}

	str := func(key string, dst *string, required bool) {
		v, ok := table[key]
		if !ok {
			if required {
				fail(key, "is required")
			}
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			fail(key, "must be a string")
			return
		}
		*dst = strings.TrimSpace(*dst)
		if required && *dst == "" {
			fail(key, "must not be empty")
		}
	}
	str("app_id", &cfg.AppID, true)
	str("app_secret", &cfg.AppSecret, true)
	str("webhook_secret", &cfg.WebhookSecret, true)
	if len(cfg.WebhookSecret) > maxSecretLen {
		fail("webhook_secret", "must be at most %d characters (Help Scout's limit)", maxSecretLen)
	}
	if _, ok := table["api_url"]; ok {
		str("api_url", &cfg.APIURL, false)
		if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("api_url", "must be an http(s) URL")
		}
	}

	if v, ok := table["mailbox_id"]; !ok {
		fail("mailbox_id", "is required")
	} else {
		// TOML integers arrive as JSON numbers; a quoted id is accepted too.
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			fail("mailbox_id", "must be a positive integer (the id in the mailbox's URL)")
		}
		cfg.MailboxID = id
	}
	if v, ok := table["tags"]; ok {
		if err := json.Unmarshal(v, &cfg.Tags); err != nil {
			fail("tags", "must be a list of strings")
		}
		for _, t := range cfg.Tags {
			if strings.TrimSpace(t) == "" {
				fail("tags", "must not contain an empty tag")
				break
			}
		}
	}
	if v, ok := table["upload_files"]; ok {
		if err := json.Unmarshal(v, &cfg.UploadFiles); err != nil {
			fail("upload_files", "must be true or false")
		}
	}
	return cfg, errs
}
