package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Parse parses and validates configuration text. name is used in problem
// reports (usually the file path); env looks up ${NAME} references and is
// os.LookupEnv when nil. An invalid configuration yields an [Errors] with
// every problem found.
//
// The text is decoded into a generic tree and then matched against the
// schema below key by key, instead of decoding into structs and asking
// MetaData.Undecoded for leftovers: toml's struct decoding matches keys
// case-insensitively (it would accept "Token"), stops at the first type
// error, and would run a Duration's UnmarshalText before ${VAR} expansion.
func Parse(name string, data []byte, env LookupFunc) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var tree map[string]any
	md, err := toml.Decode(string(data), &tree)
	if err != nil {
		return nil, Errors{syntaxProblem(name, err)}
	}
	d := &decoder{file: name, env: env, loc: locate(data)}
	c := d.decode(tree, md.Keys())
	d.validate(c)
	if len(d.problems) > 0 {
		sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
		return nil, d.problems
	}
	return c, nil
}

// tokenLike finds bot tokens in text we did not write (toml's messages
// quote the offending source), so a syntax error never echoes one.
var tokenLike = regexp.MustCompile(`\d+:[\w-]{30,}`)

func syntaxProblem(file string, err error) Problem {
	p := Problem{File: file, Message: err.Error()}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		p.Line = pe.Position.Line
		p.Message = pe.Message
	}
	p.Message = "invalid TOML: " + tokenLike.ReplaceAllString(p.Message, "[redacted]")
	return p
}

// field is one key of a fixed section and where its value goes: a *string,
// *[]string, *int, *int64, *bool, *Duration or **Hours (a table of its
// own) inside the Config being filled.
type field struct {
	key  string
	dest any
}

type section struct {
	name   string
	fields []field
}

// schema lists every fixed section and key, bound to c's fields.
func schema(c *Config) []section {
	return []section{
		{"telegram", botFields(&c.Telegram)},
		{"server", []field{
			{"listen", &c.Server.Listen},
			{"public_url", &c.Server.PublicURL},
			{"max_body_bytes", &c.Server.MaxBodyBytes},
		}},
		{"admin", []field{
			{"listen", &c.Admin.Listen},
			{"allowed_hosts", &c.Admin.AllowedHosts},
			{"token", &c.Admin.Token},
		}},
		{"store", []field{
			{"driver", &c.Store.Driver},
			{"dsn", &c.Store.DSN},
		}},
		{"plugins", []field{
			{"dir", &c.Plugins.Dir},
			{"start_timeout", &c.Plugins.StartTimeout},
		}},
		{"files", []field{
			{"link_ttl", &c.Files.LinkTTL},
		}},
		{"dispatch", []field{
			{"max_attempts", &c.Dispatch.MaxAttempts},
			{"concurrency", &c.Dispatch.Concurrency},
			{"run_length", &c.Dispatch.RunLength},
			{"initial_backoff", &c.Dispatch.InitialBackoff},
			{"max_backoff", &c.Dispatch.MaxBackoff},
			{"channel_concurrency", &c.Dispatch.ChannelConcurrency},
		}},
		{"retention", []field{
			{"messages", &c.Retention.Messages},
		}},
		{"conversations", []field{
			{"after_close", &c.Conversations.AfterClose},
			{"reopen_within", &c.Conversations.ReopenWithin},
			{"close_after", &c.Conversations.CloseAfter},
			{"seen_reaction", &c.Conversations.SeenReaction},
		}},
		{"conversations.rating", []field{
			{"enabled", &c.Conversations.Rating.Enabled},
			{"question", &c.Conversations.Rating.Question},
			{"thanks", &c.Conversations.Rating.Thanks},
			{"after_idle_close", &c.Conversations.Rating.AfterIdleClose},
		}},
		{"log", []field{
			{"level", &c.Log.Level},
			{"format", &c.Log.Format},
		}},
	}
}

// botFields are the keys of a bot: of [telegram] and of each
// [bots.<name>] table. A per-bot key is added here, once, for both.
func botFields(t *Telegram) []field {
	return []field{
		{"token", &t.Token},
		{"api_url", &t.APIURL},
		{"mode", &t.Mode},
		{"welcome_message", &t.WelcomeMessage},
		{"poll_timeout", &t.PollTimeout},
		{"webhook_path", &t.WebhookPath},
		{"channels", &t.Channels},
		{"routes", &t.Routes},
		{"menu", &t.Menu},
		{"hours", &t.Hours},
	}
}

// channelKeys are the keys of a [channels.<name>] table.
var channelKeys = []string{"config", "enabled", "env", "plugin", "sha256"}

// decoder fills a Config from a decoded tree and collects problems.
type decoder struct {
	file     string
	env      LookupFunc
	loc      *locator
	problems Errors
}

func (d *decoder) add(path []string, msg, fix string) {
	d.problems = append(d.problems, Problem{
		File: d.file, Line: d.loc.line(path), Key: toml.Key(path).String(), Message: msg, Fix: fix,
	})
}

func (d *decoder) decode(tree map[string]any, keys []toml.Key) *Config {
	c := Default()
	secs := schema(c)
	top := []string{"channels", "bots"}
	for _, s := range secs {
		top = append(top, s.name)
	}
	for _, name := range slices.Sorted(maps.Keys(tree)) {
		v := tree[name]
		if name == "channels" {
			d.channels(c, v, keys)
			continue
		}
		if name == "bots" {
			d.bots(c, v, keys)
			if _, mixed := tree["telegram"]; mixed {
				d.add([]string{"telegram"}, "cannot be used together with [bots.<name>] tables",
					"move the [telegram] keys into a [bots.default] table (or another name), or use [telegram] alone for one bot")
			}
			continue
		}
		i := slices.IndexFunc(secs, func(s section) bool { return s.name == name })
		if i < 0 {
			if owner := sectionOf(secs, name); owner != "" && suggest(name, top) == "" {
				// A section key written above every [section] header lands at the root.
				d.add([]string{name}, "unknown key", "move it under "+owner)
				continue
			}
			d.unknown([]string{name}, top)
			continue
		}
		d.section(secs, []string{name}, v)
	}
	return c
}

// section fills the fields of the section at path (["conversations"],
// ["conversations", "rating"]) from its table v; a subtable is the section
// named by the dotted path, when there is one.
func (d *decoder) section(secs []section, path []string, v any) {
	name := strings.Join(path, ".")
	sec := secs[slices.IndexFunc(secs, func(s section) bool { return s.name == name })]
	t, ok := v.(map[string]any)
	if !ok {
		d.add(path, "must be a table, not "+typeName(v), fmt.Sprintf("write [%s] on a line of its own, then its keys", name))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(t)) {
		kp := append(slices.Clone(path), k)
		j := slices.IndexFunc(sec.fields, func(f field) bool { return f.key == k })
		if j < 0 {
			if slices.ContainsFunc(secs, func(s section) bool { return s.name == name+"."+k }) {
				d.section(secs, kp, t[k])
				continue
			}
			valid := make([]string, len(sec.fields))
			for n, f := range sec.fields {
				valid[n] = f.key
			}
			d.unknown(kp, valid)
			continue
		}
		d.set(kp, t[k], sec.fields[j].dest)
	}
}

// sectionOf names the sections that have a key named key, "[a]" or
// "[a] or [b]", or "" if none does.
func sectionOf(secs []section, key string) string {
	var owners []string
	for _, s := range secs {
		if slices.ContainsFunc(s.fields, func(f field) bool { return f.key == key }) {
			owners = append(owners, "["+s.name+"]")
		}
	}
	return strings.Join(owners, " or ")
}

// tableOrder lists the names of the [<kind>.<name>] tables in file order.
func tableOrder(kind string, t map[string]any, keys []toml.Key) []string {
	var order []string
	for _, k := range keys {
		if len(k) >= 2 && k[0] == kind && !slices.Contains(order, k[1]) {
			order = append(order, k[1])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t)) { // defensive: anything Keys() missed
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	return order
}

// bots fills c.BotTables in file order. A bot starts from [telegram]'s
// defaults, with the webhook path /telegram/<name>.
func (d *decoder) bots(c *Config, v any, keys []toml.Key) {
	t, ok := v.(map[string]any)
	if !ok {
		d.add([]string{"bots"}, "must be a table of bots, not "+typeName(v), "write one [bots.<name>] table per bot")
		return
	}
	for _, name := range tableOrder("bots", t, keys) {
		path := []string{"bots", name}
		bt, ok := t[name].(map[string]any)
		if !ok {
			d.add(path, "must be a table, not "+typeName(t[name]), fmt.Sprintf(`write [bots.%s] with token = "..." under it`, name))
			continue
		}
		b := Default().Telegram
		b.Name, b.WebhookPath = name, "/telegram/"+name
		fields := botFields(&b)
		for _, k := range slices.Sorted(maps.Keys(bt)) {
			kp := []string{"bots", name, k}
			j := slices.IndexFunc(fields, func(f field) bool { return f.key == k })
			if j < 0 {
				valid := make([]string, len(fields))
				for n, f := range fields {
					valid[n] = f.key
				}
				d.unknown(kp, valid)
				continue
			}
			d.set(kp, bt[k], fields[j].dest)
		}
		c.BotTables = append(c.BotTables, b)
	}
}

// channels fills c.Channels in file order.
func (d *decoder) channels(c *Config, v any, keys []toml.Key) {
	t, ok := v.(map[string]any)
	if !ok {
		d.add([]string{"channels"}, "must be a table of channels, not "+typeName(v), "write one [channels.<name>] table per channel")
		return
	}
	for _, name := range tableOrder("channels", t, keys) {
		path := []string{"channels", name}
		ct, ok := t[name].(map[string]any)
		if !ok {
			d.add(path, "must be a table, not "+typeName(t[name]), fmt.Sprintf("write [channels.%s] with plugin = \"...\" under it", name))
			continue
		}
		ch := Channel{Name: name, Enabled: true, Line: d.loc.line(path)}
		for _, k := range slices.Sorted(maps.Keys(ct)) {
			kp := []string{"channels", name, k}
			switch k {
			case "plugin":
				d.set(kp, ct[k], &ch.Plugin)
			case "enabled":
				d.set(kp, ct[k], &ch.Enabled)
			case "sha256":
				d.set(kp, ct[k], &ch.SHA256)
			case "config":
				m, ok := ct[k].(map[string]any)
				if !ok {
					d.add(kp, "must be a table, not "+typeName(ct[k]), fmt.Sprintf("write [channels.%s.config] and the plugin's keys under it", name))
					continue
				}
				d.expandTree(kp, m)
				ch.Config = m
			case "env":
				d.channelEnv(kp, ct[k], &ch)
			default:
				d.unknown(kp, channelKeys)
			}
		}
		c.Channels = append(c.Channels, ch)
	}
}

// channelEnv fills ch.Env from a channel's env table of strings.
func (d *decoder) channelEnv(path []string, v any, ch *Channel) {
	t, ok := v.(map[string]any)
	if !ok {
		d.add(path, "must be a table of strings, not "+typeName(v), `write env = { NAME = "${VALUE}" }`)
		return
	}
	ch.Env = map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(t)) {
		kp := append(slices.Clone(path), name)
		switch {
		case !validVarName(name):
			d.add(kp, fmt.Sprintf("%q is not an environment variable name", name), "use letters, digits and _, not starting with a digit")
			continue
		case strings.HasPrefix(name, "PLUGIN_") || name == "PARLEY_PLUGIN_MAGIC_COOKIE":
			d.add(kp, "is set by the host for the plugin handshake", "choose another name")
			continue
		}
		raw, ok := t[name].(string)
		if !ok {
			d.add(kp, "must be a string, not "+typeName(t[name]), "put the value in double quotes")
			continue
		}
		s, ok := d.expand(kp, raw)
		if !ok {
			continue
		}
		ch.Env[name] = s
		if strings.Contains(raw, "${") || looksSecret(name) {
			ch.secretEnv = append(ch.secretEnv, s)
		}
	}
}

// set converts one value into dest. Integers and booleans may also be
// written as strings, so that they too can come from ${VAR}.
func (d *decoder) set(path []string, v any, dest any) {
	switch p := dest.(type) {
	case *string:
		if s, ok := d.str(path, v, "a string", "put the value in double quotes"); ok {
			*p = s
		}
	case *[]string:
		items, ok := v.([]any)
		if !ok {
			d.add(path, "must be an array of strings, not "+typeName(v), `for example ["status.example.com"]`)
			return
		}
		var out []string // nil when empty, like the defaults
		for i, item := range items {
			if s, ok := d.str(path, item, fmt.Sprintf("an array of strings (item %d is not)", i+1), "put each value in double quotes"); ok {
				out = append(out, s)
			}
		}
		*p = out
	case *int:
		if n, ok := d.integer(path, v); ok {
			if n < math.MinInt32 || n > math.MaxInt32 {
				d.add(path, "is out of range", "")
				return
			}
			*p = int(n)
		}
	case *int64:
		if n, ok := d.integer(path, v); ok {
			*p = n
		}
	case *bool:
		switch b := v.(type) {
		case bool:
			*p = b
		case string:
			if s, ok := d.expand(path, b); ok {
				if parsed, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
					*p = parsed
				} else {
					d.add(path, fmt.Sprintf("must be true or false, not %q", s), "")
				}
			}
		default:
			d.add(path, "must be true or false, not "+typeName(v), "")
		}
	case **Hours:
		d.hoursTable(path, v, p)
	case *Duration:
		s, ok := d.str(path, v, "a duration", `write a quoted duration such as "30s" or "5m"`)
		if !ok {
			return
		}
		if err := p.UnmarshalText([]byte(s)); err != nil {
			d.add(path, err.Error(), `write a number with a unit, such as "30s", "5m" or "168h"`)
		}
	case *[]Route:
		d.routes(path, v, p)
	case **Menu:
		d.menu(path, v, p)
	default:
		panic(fmt.Sprintf("config: no decoder for %T", dest)) // a schema mistake, caught by tests
	}
}

// str returns v as an expanded string, reporting a value of another type
// as not being what.
func (d *decoder) str(path []string, v any, what, fix string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.add(path, fmt.Sprintf("must be %s, not %s", what, typeName(v)), fix)
		return "", false
	}
	return d.expand(path, s)
}

func (d *decoder) integer(path []string, v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case string:
		s, ok := d.expand(path, n)
		if !ok {
			return 0, false
		}
		parsed, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			d.add(path, fmt.Sprintf("must be a whole number, not %q", s), "")
			return 0, false
		}
		return parsed, true
	default:
		d.add(path, "must be a whole number, not "+typeName(v), "")
		return 0, false
	}
}

func (d *decoder) expand(path []string, s string) (string, bool) {
	out, err := expand(s, d.env)
	if err != nil {
		var ee *expandError
		fix := ""
		if errors.As(err, &ee) && len(ee.missing) > 0 {
			fix = fmt.Sprintf("export %s, or give a default: ${%s:-value}", ee.missing[0], ee.missing[0])
		}
		d.add(path, err.Error(), fix)
		return "", false
	}
	return out, true
}

// expandTree expands every string inside a plugin's free-form table in
// place; problems are reported at the key holding the string.
func (d *decoder) expandTree(path []string, m map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		m[k] = d.expandValue(append(slices.Clone(path), k), m[k])
	}
}

func (d *decoder) expandValue(path []string, v any) any {
	switch x := v.(type) {
	case string:
		if s, ok := d.expand(path, x); ok {
			return s
		}
		return x
	case map[string]any:
		d.expandTree(path, x)
	case []map[string]any:
		for _, m := range x {
			d.expandTree(path, m)
		}
	case []any:
		for i := range x {
			x[i] = d.expandValue(path, x[i])
		}
	}
	return v
}

// typeName names a decoded TOML value's type for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
