package webhookchannel

import (
	"encoding/json"
	"net/url"
	"slices"
	"time"

	"github.com/parley-dev/parley/sdk"
	sdkconfig "github.com/parley-dev/parley/sdk/config"
)

// defaultTimeout bounds one call to the receiver when the config sets none.
const defaultTimeout = 10 * time.Second

// configKeys documents the config table; Describe returns it and
// parseConfig decodes by it.
var configKeys = []sdk.ConfigKey{
	{Name: "url", Required: true, Description: "http or https URL that receives each message as a signed JSON POST."},
	{Name: "secret", Required: true, Secret: true, Description: "Shared secret: HMAC-SHA256 key of X-Parley-Signature, both ways."},
	{Name: "timeout", Default: defaultTimeout.String(), Description: "Longest wait for the receiver, as a Go duration (\"10s\", \"1m\")."},
	{Name: "allow_private_urls", Default: "false", Description: "Fetch reply attachment URLs that lead to loopback, private, link-local or other non-public addresses (refused by default)."},
}

// config is a validated config table.
type config struct {
	URL     *url.URL      `config:"url"`
	Secret  string        `config:"secret"`
	Timeout time.Duration `config:"timeout"`
	// AllowPrivateURLs turns off the attachment guard (guard.go).
	AllowPrivateURLs bool `config:"allow_private_urls"`
}

// parseConfig decodes and checks the table, reporting every problem at
// once, one per key, so the operator fixes them in one go. The error is
// the plugin's own mistake (a tag naming an undeclared key).
func parseConfig(raw json.RawMessage) (config, []sdk.ConfigError, error) {
	var cfg config
	errs, err := sdkconfig.Decode(raw, configKeys, &cfg)
	if err != nil {
		return config{}, nil, err
	}
	if cfg.Timeout <= 0 && !slices.ContainsFunc(errs, func(e sdk.ConfigError) bool { return e.Key == "timeout" }) {
		errs = append(errs, sdk.ConfigError{Key: "timeout", Message: "must be a positive duration such as \"10s\""})
	}
	return cfg, errs, nil
}
