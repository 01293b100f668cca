package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// defaultTimeout bounds one call to the receiver when the config sets none.
const defaultTimeout = 10 * time.Second

// configKeys documents the config table; Describe returns it.
var configKeys = []sdk.ConfigKey{
	{Name: "url", Required: true, Description: "http or https URL that receives each message as a signed JSON POST."},
	{Name: "secret", Required: true, Secret: true, Description: "Shared secret: HMAC-SHA256 key of X-Parley-Signature, both ways."},
	{Name: "timeout", Default: defaultTimeout.String(), Description: "Longest wait for the receiver, as a Go duration (\"10s\", \"1m\")."},
	{Name: "allow_private_urls", Default: "false", Description: "Fetch reply attachment URLs that lead to loopback, private, link-local or other non-public addresses (refused by default)."},
}

// config is a validated config table.
type config struct {
	url     *url.URL
	secret  []byte
	timeout time.Duration
	// allowPrivateURLs turns off the attachment guard (guard.go).
	allowPrivateURLs bool
}

// parseConfig validates the table and reports every problem at once, one
// per key, so the operator fixes them in one go.
func parseConfig(raw json.RawMessage) (config, []sdk.ConfigError) {
	var table map[string]json.RawMessage
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := json.Unmarshal(raw, &table); err != nil || table == nil {
		return config{}, []sdk.ConfigError{{Key: "", Message: "config must be a table"}}
	}
	var errs []sdk.ConfigError
	fail := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	// str reads a string key; ok is false when it is absent or not a
	// string (then the problem is already reported).
	badType := map[string]bool{}
	str := func(key string) (string, bool) {
		v, present := table[key]
		if !present {
			return "", false
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			fail(key, "must be a string")
			badType[key] = true
			return "", false
		}
		return s, true
	}
	cfg := config{timeout: defaultTimeout}

	switch s, ok := str("url"); {
	case badType["url"]:
	case !ok || s == "":
		fail("url", "is required: the http or https URL to POST messages to")
	default:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("url", "must be an absolute http or https URL")
		} else {
			cfg.url = u
		}
	}
	switch s, ok := str("secret"); {
	case badType["secret"]:
	case !ok || s == "":
		fail("secret", "is required: the shared secret that signs both directions")
	default:
		cfg.secret = []byte(s)
	}
	if s, ok := str("timeout"); ok && s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			fail("timeout", "must be a positive duration such as \"10s\"")
		} else {
			cfg.timeout = d
		}
	}
	if v, ok := table["allow_private_urls"]; ok {
		if err := json.Unmarshal(v, &cfg.allowPrivateURLs); err != nil {
			fail("allow_private_urls", "must be true or false")
		}
	}
	var unknown []string
	for k := range table {
		if k != "url" && k != "secret" && k != "timeout" && k != "allow_private_urls" {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		fail(k, "unknown key (known: url, secret, timeout, allow_private_urls)")
	}
	return cfg, errs
}
