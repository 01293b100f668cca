package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// secretKeyWords mark a plugin config key whose string values are secrets.
var secretKeyWords = []string{"token", "secret", "password", "key"}

// Secrets returns every secret value in the configuration, for log
// redaction: the bot token, the admin token, the store DSN's password,
// each string under channels.*.config whose key (or an enclosing table's
// key) contains token, secret, password or key, and each channel env value
// taken from ${VAR} or under such a name. Empty values are left out.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(c.Telegram.Token)
	for _, b := range c.BotTables {
		add(b.Token)
	}
	add(c.Admin.Token)
	for _, p := range dsnPasswords(c.Store.DSN) {
		add(p)
	}
	for _, ch := range c.Channels {
		collectSecrets(ch.Config, false, add)
		for _, v := range ch.secretEnv {
			add(v)
		}
	}
	return out
}

func looksSecret(key string) bool {
	key = strings.ToLower(key)
	return slices.ContainsFunc(secretKeyWords, func(w string) bool { return strings.Contains(key, w) })
}

func collectSecrets(v any, secret bool, add func(string)) {
	switch x := v.(type) {
	case string:
		if secret {
			add(x)
		}
	case map[string]any:
		for k, e := range x {
			collectSecrets(e, secret || looksSecret(k), add)
		}
	case []map[string]any:
		for _, m := range x {
			collectSecrets(m, secret, add)
		}
	case []any:
		for _, e := range x {
			collectSecrets(e, secret, add)
		}
	}
}

// dsnKeywordPassword finds password=... in a libpq keyword/value DSN; the
// value is either bare or single-quoted with backslash escapes.
var dsnKeywordPassword = regexp.MustCompile(`(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// dsnPasswords returns the password in a postgres URL or keyword DSN, in
// every form it may be logged (as written and decoded). Written by hand:
// the pgx parser would pull a database driver into config for one field.
func dsnPasswords(dsn string) []string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out := []string{p}
			if raw := rawURLPassword(dsn); raw != "" && raw != p {
				out = append(out, raw)
			}
			return out
		}
	}
	m := dsnKeywordPassword.FindStringSubmatch(dsn)
	if m == nil {
		return nil
	}
	p := m[1]
	if strings.HasPrefix(p, "'") {
		p = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(p[1 : len(p)-1])
	}
	return []string{p}
}

// rawURLPassword returns the still percent-encoded password of a URL DSN.
func rawURLPassword(dsn string) string {
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return ""
	}
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return ""
	}
	_, pass, _ := strings.Cut(authority[:at], ":")
	return pass
}
