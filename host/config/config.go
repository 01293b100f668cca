package config

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Config is a loaded, validated configuration.
type Config struct {
	// Telegram is the one-bot form ([telegram]), the bot named "default".
	// When the file has [bots.<name>] tables instead, it holds only the
	// defaults; use Bots for the bots that run.
	Telegram Telegram
	// BotTables are the [bots.<name>] tables in file order; empty in the
	// one-bot form.
	BotTables []Telegram
	Server    Server
	Admin     Admin
	Store     Store
	Plugins   Plugins
	Files     Files
	Dispatch  Dispatch
	Log       Log
	// Retention is how long customer data stays in the store.
	Retention Retention
	// Conversations is the conversation lifecycle (lifecycle.go).
	Conversations Conversations
	// Channels are the [channels.<name>] tables in file order.
	Channels []Channel
}

// Telegram configures one bot and how its updates arrive: the [telegram]
// table (the bot named "default") or one [bots.<name>] table. Every key
// of a bot is a field here, so [telegram] and each [bots.<name>] accept
// the same keys.
type Telegram struct {
	// Name is the bot's name: "default" for [telegram], <name> for
	// [bots.<name>]. It keys its conversations, offset and lease, and
	// appears in logs, metrics and desk headers.
	Name           string
	Token          string   // bot token, "<bot id>:<secret>"; a secret
	APIURL         string   // Bot API base URL, without a trailing slash
	Mode           string   // "polling" or "webhook"
	WelcomeMessage string   // answer to /start
	PollTimeout    Duration // long-polling timeout for getUpdates
	WebhookPath    string   // path of the Telegram webhook on the public listener
	// Channels is the bot's default route: the channels its conversations
	// go to; empty means every enabled channel.
	Channels []string
}

// DefaultBotName is the name of the bot of the one-bot form, [telegram].
const DefaultBotName = "default"

// Bots returns the bots that run: the [bots.<name>] tables in file
// order, or the [telegram] table as the bot named "default".
func (c *Config) Bots() []Telegram {
	if len(c.BotTables) > 0 {
		return c.BotTables
	}
	t := c.Telegram
	t.Name = DefaultBotName
	return []Telegram{t}
}

// Bot returns the bot named name, and whether there is one.
func (c *Config) Bot(name string) (Telegram, bool) {
	for _, b := range c.Bots() {
		if b.Name == name {
			return b, true
		}
	}
	return Telegram{}, false
}

// Server configures the public HTTP listener (desk webhooks, Telegram
// webhook, file links).
type Server struct {
	Listen       string // host:port
	PublicURL    string // absolute http(s) URL the world reaches Listen at, without a trailing slash
	MaxBodyBytes int64  // largest request body accepted
}

// Admin configures the admin listener (health, metrics, status).
type Admin struct {
	Listen string // host:port; loopback by default
	// AllowedHosts are the Host header names, besides loopback ones, the
	// listener answers (lower case, without port): a defence against DNS
	// rebinding.
	AllowedHosts []string
	// Token, when set, is required (as a bearer token or through the
	// status page's login) on every path but /healthz and /readyz; a secret.
	Token string
}

// Loopback reports whether the admin listener binds a loopback address
// only (localhost or a 127.0.0.0/8 or ::1 address), so that only this
// machine can reach it.
func (a Admin) Loopback() bool {
	host, _, err := net.SplitHostPort(a.Listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Store selects the storage driver.
type Store struct {
	Driver string // "sqlite" or "postgres"
	DSN    string // file name for sqlite, connection string for postgres; may hold a password
}

// Plugins configures where channel plugins are found and how long they may
// take to start.
type Plugins struct {
	Dir          string
	StartTimeout Duration
}

// Files configures the signed links desks use to open Telegram files.
type Files struct {
	LinkTTL Duration
}

// Dispatch configures the outbox worker.
type Dispatch struct {
	MaxAttempts int
	Concurrency int
	// RunLength is the most messages of one conversation handed to a
	// plugin in one call when a backlog builds up.
	RunLength      int
	InitialBackoff Duration
	MaxBackoff     Duration
	// ChannelConcurrency is the most deliveries of one channel in flight
	// at once, so a desk that hangs cannot hold every worker; 0 picks
	// concurrency/2 when several channels are enabled, else concurrency.
	ChannelConcurrency int
}

// ChannelLimit is the per-channel delivery limit in effect: the
// configured one, or its default for the enabled channels.
func (c *Config) ChannelLimit() int {
	d := c.Dispatch
	switch {
	case d.ChannelConcurrency > 0:
		return min(d.ChannelConcurrency, d.Concurrency)
	case len(c.EnabledChannels()) > 1:
		return max(1, d.Concurrency/2)
	}
	return d.Concurrency
}

// Retention configures how long customer data is kept.
type Retention struct {
	// Messages is how long a message, its file references and replies are
	// kept once delivered (sent); 0, the default, keeps them forever.
	// Pending and failed rows and conversation mappings are always kept.
	Messages Duration
}

// MinRetention is the shortest retention.messages accepted (other than 0):
// an edit of a message shorter-lived than this could no longer be matched
// to its original at the desk.
const MinRetention = time.Hour

// Log configures the host's logger.
type Log struct {
	Level  string // "trace", "debug", "info", "warn", "error" or "off"
	Format string // "text" or "json"
}

// Channel is one [channels.<name>] table: a desk the host delivers to
// through a plugin.
type Channel struct {
	Name    string         // the table name; also the /hooks/{name} path segment
	Plugin  string         // plugin name; the binary is parley-channel-<plugin>
	Enabled bool           // false keeps the channel configured but unused
	SHA256  string         // optional pin of the plugin binary, lower-case hex
	Config  map[string]any // the channel's own [channels.<name>.config] table, variables expanded; nil when absent
	Line    int            // line of the channel's table in the file
	// Env holds variables added to the plugin's environment (the channel's
	// env table, values expanded); nil when absent. A plugin inherits only
	// an allow-listed part of the host's environment besides.
	Env map[string]string
	// secretEnv are the Env values redacted from logs: those taken from
	// ${VAR} and those under a name that looks secret.
	secretEnv []string
}

// ConfigJSON returns the channel's config table as a JSON object, the form
// plugins receive in Configure. An absent table is "{}".
func (c Channel) ConfigJSON() (json.RawMessage, error) {
	if c.Config == nil {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(c.Config)
	if err != nil {
		return nil, fmt.Errorf("channel %q config: %w", c.Name, err)
	}
	return b, nil
}

// Default returns the configuration used for every key the file leaves out.
// It has no bot token and no channels, so it does not validate by itself.
func Default() *Config {
	return &Config{
		Telegram: Telegram{
			Name:           DefaultBotName,
			APIURL:         "https://api.telegram.org",
			Mode:           ModePolling,
			WelcomeMessage: "Hello! Write your question here and our support team will answer.",
			PollTimeout:    Duration{30 * time.Second},
			WebhookPath:    "/telegram/webhook",
		},
		Server:   Server{Listen: "127.0.0.1:8080", MaxBodyBytes: 1 << 20},
		Admin:    Admin{Listen: "127.0.0.1:9090"},
		Store:    Store{Driver: DriverSQLite, DSN: "parley.db"},
		Plugins:  Plugins{Dir: "./plugins", StartTimeout: Duration{10 * time.Second}},
		Files:    Files{LinkTTL: Duration{168 * time.Hour}},
		Dispatch: Dispatch{MaxAttempts: 12, Concurrency: 64, RunLength: 32, InitialBackoff: Duration{time.Second}, MaxBackoff: Duration{5 * time.Minute}},
		Log:      Log{Level: "info", Format: FormatText},
		Conversations: Conversations{AfterClose: AfterCloseNew, ReopenWithin: Duration{time.Hour},
			Rating: Rating{Question: "How did we do?", Thanks: "Thank you for your feedback!"}},
	}
}

// Values of Telegram.Mode, Store.Driver and Log.Format.
const (
	ModePolling    = "polling"
	ModeWebhook    = "webhook"
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
	FormatText     = "text"
	FormatJSON     = "json"
)

// EnabledChannels returns the channels whose enabled is true, in file order.
func (c *Config) EnabledChannels() []Channel {
	var out []Channel
	for _, ch := range c.Channels {
		if ch.Enabled {
			out = append(out, ch)
		}
	}
	return out
}

// DefaultPath is where the configuration is read from when no path is
// given: $PARLEY_CONFIG, else ./parley.toml.
func DefaultPath() string {
	if p := os.Getenv("PARLEY_CONFIG"); p != "" {
		return p
	}
	return "parley.toml"
}

// Load reads and parses the file at path, expanding variables from the
// process environment. An invalid file yields an [Errors].
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}
