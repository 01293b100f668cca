package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-dev/parley/host/telegram/reactions"
)

var (
	// tokenPattern is the shape of a bot token from @BotFather.
	tokenPattern  = regexp.MustCompile(`^\d+:[\w-]{30,}$`)
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	// hostnamePattern is a DNS name (lower case, without a trailing dot).
	hostnamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	logLevels       = []string{"trace", "debug", "info", "warn", "error", "off"}
)

// minAdminToken is the shortest admin.token accepted: the token guards the
// status page from the network, so it must not be guessable.
const minAdminToken = 16

// validate checks values that decoded to the right type; it also
// normalises a few (trailing slashes, case of hex and log levels).
func (d *decoder) validate(c *Config) {
	if len(c.BotTables) == 0 {
		d.bot(c, &c.Telegram, []string{"telegram"})
	} else {
		tokens, paths := map[string]string{}, map[string]string{}
		for i := range c.BotTables {
			b := &c.BotTables[i]
			path := []string{"bots", b.Name}
			if !ValidBotName(b.Name) {
				d.add(path, fmt.Sprintf("invalid bot name %q", b.Name), "use lower-case letters, digits and -, such as [bots.support]")
			}
			d.bot(c, b, path)
			if other, ok := tokens[b.Token]; ok && b.Token != "" {
				// Never echo the token.
				d.add(append(path, "token"), "is the token of bot "+other+" too", "give each bot its own token from @BotFather: one token polled twice loses updates")
			} else {
				tokens[b.Token] = b.Name
			}
			if other, ok := paths[b.WebhookPath]; ok && b.Mode == ModeWebhook {
				d.add(append(path, "webhook_path"), "is the webhook path of bot "+other+" too", fmt.Sprintf("leave it out: the default is /telegram/%s", b.Name))
			} else if b.Mode == ModeWebhook {
				paths[b.WebhookPath] = b.Name
			}
		}
	}

	d.listen([]string{"server", "listen"}, c.Server.Listen)
	d.listen([]string{"admin", "listen"}, c.Admin.Listen)
	if c.Server.Listen == c.Admin.Listen && !strings.HasSuffix(c.Server.Listen, ":0") {
		d.add([]string{"admin", "listen"}, "must differ from server.listen", "the admin listener needs its own port")
	}
	for i, h := range c.Admin.AllowedHosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if net.ParseIP(h) == nil && !hostnamePattern.MatchString(h) {
			d.add([]string{"admin", "allowed_hosts"}, fmt.Sprintf("%q is not a host name or IP address", c.Admin.AllowedHosts[i]),
				`write the name the browser shows, without scheme, port or path, such as "status.example.com"`)
		}
		c.Admin.AllowedHosts[i] = h
	}
	if t := c.Admin.Token; t != "" && len(t) < minAdminToken {
		// Never echo the value.
		d.add([]string{"admin", "token"}, fmt.Sprintf("is too short: use at least %d characters", minAdminToken),
			`generate one with "openssl rand -hex 32" and read it from the environment: token = "${PARLEY_ADMIN_TOKEN}"`)
	}
	if c.Server.PublicURL != "" {
		d.httpURL([]string{"server", "public_url"}, &c.Server.PublicURL)
	}
	if c.Server.MaxBodyBytes <= 0 {
		d.add([]string{"server", "max_body_bytes"}, "must be positive", "the default is 1048576 (1 MiB)")
	}

	if c.Store.Driver != DriverSQLite && c.Store.Driver != DriverPostgres {
		d.add([]string{"store", "driver"}, fmt.Sprintf("must be %q or %q, not %q", DriverSQLite, DriverPostgres, c.Store.Driver), "")
	}
	if c.Store.DSN == "" {
		d.add([]string{"store", "dsn"}, "must not be empty", `a file name for sqlite, or "postgres://user:password@host/db"`)
	}
	if c.Plugins.Dir == "" {
		d.add([]string{"plugins", "dir"}, "must not be empty", `the default is "./plugins"`)
	}
	d.positive([]string{"plugins", "start_timeout"}, c.Plugins.StartTimeout)
	d.positive([]string{"files", "link_ttl"}, c.Files.LinkTTL)

	// maxRunLength keeps one call's request well inside gRPC's 4 MiB
	// message limit: a message is at most a few KiB of text and metadata.
	const maxRunLength = 128
	if c.Dispatch.MaxAttempts < 1 {
		d.add([]string{"dispatch", "max_attempts"}, "must be at least 1", "")
	}
	if c.Dispatch.Concurrency < 1 {
		d.add([]string{"dispatch", "concurrency"}, "must be at least 1", "")
	}
	if c.Dispatch.RunLength < 1 || c.Dispatch.RunLength > maxRunLength {
		d.add([]string{"dispatch", "run_length"}, fmt.Sprintf("must be between 1 and %d", maxRunLength), "")
	}
	if c.Dispatch.ChannelConcurrency < 0 || c.Dispatch.ChannelConcurrency > max(c.Dispatch.Concurrency, 1) {
		d.add([]string{"dispatch", "channel_concurrency"}, "must be between 0 (automatic) and dispatch.concurrency", "")
	}
	d.positive([]string{"dispatch", "initial_backoff"}, c.Dispatch.InitialBackoff)
	if c.Dispatch.MaxBackoff.Duration < c.Dispatch.InitialBackoff.Duration {
		d.add([]string{"dispatch", "max_backoff"}, "must not be shorter than dispatch.initial_backoff", "")
	}

	if r := c.Retention.Messages.Duration; r != 0 && r < MinRetention {
		d.add([]string{"retention", "messages"}, fmt.Sprintf("must be 0 (keep forever) or at least %s, not %s", MinRetention, r),
			`for example "90d"`)
	}

	d.conversations(&c.Conversations)

	if lvl := strings.ToLower(c.Log.Level); slices.Contains(logLevels, lvl) {
		c.Log.Level = lvl
	} else {
		d.add([]string{"log", "level"}, fmt.Sprintf("must be one of %s, not %q", strings.Join(logLevels, ", "), c.Log.Level), "")
	}
	if c.Log.Format != FormatText && c.Log.Format != FormatJSON {
		d.add([]string{"log", "format"}, fmt.Sprintf("must be %q or %q, not %q", FormatText, FormatJSON, c.Log.Format), "")
	}

	for i := range c.Channels {
		d.channel(&c.Channels[i])
	}
	d.routing([]string{"telegram"}, &c.Telegram, c.Channels)
}

// botNamePattern is a bot's name: it is a URL path segment
// (/telegram/<name>), a metrics label and a store key.
var botNamePattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// ValidBotName reports whether name can name a bot: lower-case ASCII
// letters, digits and -.
func ValidBotName(name string) bool { return botNamePattern.MatchString(name) }

// bot checks one bot's keys; path is ["telegram"] or ["bots", name].
func (d *decoder) bot(c *Config, t *Telegram, path []string) {
	key := func(k string) []string { return append(slices.Clone(path), k) }
	switch {
	case t.Token == "":
		d.add(key("token"), "is required",
			`set token = "${PARLEY_TELEGRAM_TOKEN}" and export the token @BotFather gave you`)
	case !tokenPattern.MatchString(t.Token):
		// Never echo the value: it may be a real token with a stray character.
		d.add(key("token"), "does not look like a bot token",
			"a token is <bot id>:<secret> exactly as @BotFather shows it; check for spaces or quotes copied with it")
	}
	d.httpURL(key("api_url"), &t.APIURL)
	switch t.Mode {
	case ModePolling:
	case ModeWebhook:
		if c.Server.PublicURL == "" {
			d.problems = append(d.problems, Problem{
				File: d.file, Line: d.loc.line(key("mode")), Key: "server.public_url",
				Message: fmt.Sprintf(`is required when %s is "webhook"`, strings.Join(key("mode"), ".")),
				Fix:     `set [server] public_url = "https://parley.example.com", or use mode = "polling"`,
			})
		}
	default:
		d.add(key("mode"), fmt.Sprintf("must be %q or %q, not %q", ModePolling, ModeWebhook, t.Mode), "")
	}
	if !strings.HasPrefix(t.WebhookPath, "/") {
		d.add(key("webhook_path"), "must start with /", `for example "/telegram/webhook"`)
	}
	if t.PollTimeout.Duration < 0 {
		d.add(key("poll_timeout"), "must not be negative", "")
	}
	for _, ch := range t.Channels {
		if !slices.ContainsFunc(c.Channels, func(x Channel) bool { return x.Name == ch }) {
			var names []string
			for _, x := range c.Channels {
				names = append(names, x.Name)
			}
			d.add(key("channels"), fmt.Sprintf("names channel %q, which no [channels.%s] table configures", ch, ch),
				"configured channels: "+strings.Join(names, ", "))
		}
	}
}

// ValidChannelName reports whether name can name a channel (and so be the
// /hooks/<name> path segment): lower-case ASCII letters, digits, - and _,
// starting with a letter.
func ValidChannelName(name string) bool { return namePattern.MatchString(name) }

func (d *decoder) channel(ch *Channel) {
	path := func(k ...string) []string { return append([]string{"channels", ch.Name}, k...) }
	if !ValidChannelName(ch.Name) {
		d.add(path(), "invalid channel name", "use lower-case letters, digits, - and _, starting with a letter")
	}
	switch {
	case ch.Plugin == "":
		d.add(path("plugin"), "is required", fmt.Sprintf(`name the plugin that serves this channel, such as plugin = %q`, ch.Name))
	case !namePattern.MatchString(ch.Plugin):
		d.add(path("plugin"), fmt.Sprintf("invalid plugin name %q", ch.Plugin), "the binary is parley-channel-<plugin>; use lower-case letters, digits, - and _")
	}
	if ch.SHA256 != "" {
		if sha256Pattern.MatchString(ch.SHA256) {
			ch.SHA256 = strings.ToLower(ch.SHA256)
		} else {
			d.add(path("sha256"), "must be 64 hexadecimal characters", "use the output of sha256sum on the plugin binary")
		}
	}
}

// httpURL checks that *u is an absolute http(s) URL and trims its trailing
// slash so callers can append paths.
func (d *decoder) httpURL(path []string, u *string) {
	parsed, err := url.Parse(*u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		d.add(path, "must be an absolute http or https URL", `for example "https://parley.example.com"`)
		return
	}
	if parsed.RawQuery != "" || parsed.Fragment != "" {
		d.add(path, "must not have a query or fragment", "")
		return
	}
	*u = strings.TrimRight(*u, "/")
}

// listen checks a host:port listen address; the host may be empty (all
// interfaces) and the port 0 (any free port).
func (d *decoder) listen(path []string, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		d.add(path, fmt.Sprintf("is not a host:port address: %q", addr), `for example "127.0.0.1:8080" or ":8080"`)
	}
}

func (d *decoder) positive(path []string, v Duration) {
	if v.Duration <= 0 {
		d.add(path, "must be longer than zero", "")
	}
}

// conversations checks [conversations] and [conversations.rating].
func (d *decoder) conversations(c *Conversations) {
	if c.AfterClose != AfterCloseNew && c.AfterClose != AfterCloseReopen {
		d.add([]string{"conversations", "after_close"}, fmt.Sprintf("must be %q or %q, not %q", AfterCloseNew, AfterCloseReopen, c.AfterClose), "")
	}
	if c.ReopenWithin.Duration < 0 {
		d.add([]string{"conversations", "reopen_within"}, "must not be negative", `"0s" turns it off`)
	}
	if a := c.CloseAfter.Duration; a != 0 && a < MinCloseAfter {
		d.add([]string{"conversations", "close_after"}, fmt.Sprintf("must be 0 (never) or at least %s, not %s", MinCloseAfter, a), `for example "72h"`)
	}
	if c.SeenReaction != "" {
		if e, ok := reactions.Normalize(c.SeenReaction); ok {
			c.SeenReaction = e
		} else {
			d.add([]string{"conversations", "seen_reaction"}, fmt.Sprintf("%q is not a reaction Telegram lets bots set", c.SeenReaction),
				`use one emoji of Telegram's reaction set, such as "👀", "👍" or "✍", or "" for none`)
		}
	}
	for _, f := range []struct{ key, text string }{{"question", c.Rating.Question}, {"thanks", c.Rating.Thanks}} {
		switch n := utf8.RuneCountInString(f.text); {
		case c.Rating.Enabled && strings.TrimSpace(f.text) == "":
			d.add([]string{"conversations", "rating", f.key}, "must not be empty when the rating is enabled", "")
		case n > maxTelegramText:
			d.add([]string{"conversations", "rating", f.key}, fmt.Sprintf("is %d characters; Telegram takes at most %d", n, maxTelegramText), "")
		}
	}
}
