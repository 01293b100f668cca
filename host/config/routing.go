package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Route is one [[telegram.routes]] rule (and, once several bots exist, one
// [[bots.<name>.routes]] rule): the conversations it matches go to its
// Channels. Every condition given must hold; the first rule that matches
// a conversation when it starts wins.
type Route struct {
	// StartPayload matches the /start deep-link payload exactly
	// (t.me/<bot>?start=<payload>); one of these.
	StartPayload []string
	// Language matches the user's Telegram language_code by prefix
	// ("de" matches "de" and "de-AT"); one of these.
	Language []string
	// Keyword is a regular expression (Go syntax) searched in the text of
	// the conversation's first message.
	Keyword string
	// Channels receive the conversations the rule matches.
	Channels []string

	keyword *regexp.Regexp
}

// KeywordRegexp is the compiled Keyword, nil when none (or invalid: then
// the configuration did not load).
func (r Route) KeywordRegexp() *regexp.Regexp { return r.keyword }

// Menu is the [telegram.menu] table: a question with one button per
// option, asked at /start when no rule routed the conversation.
type Menu struct {
	Question string
	Options  []MenuOption
	// Timeout is how long the menu waits for a tap before the
	// conversation takes the default route.
	Timeout Duration

	badOptions bool // options did not decode (reported)
}

// MenuOption is one button of the menu and where its tap routes.
type MenuOption struct {
	Label    string
	Channels []string
}

// Limits of a menu: Telegram's inline keyboards take at most 100 buttons
// (one per row here, so each label gets the full width), and a label that
// does not fit a phone's screen is cut off.
const (
	MaxMenuOptions = 100
	MaxMenuLabel   = 64
	// DefaultMenuTimeout is how long a menu waits for its tap.
	DefaultMenuTimeout = 10 * time.Minute
)

var (
	routeKeys      = []string{"channels", "keyword", "language", "start_payload"}
	menuKeys       = []string{"options", "question", "timeout"}
	menuOptionKeys = []string{"channels", "label"}
)

// routes decodes an array of route tables at path into dest.
func (d *decoder) routes(path []string, v any, dest *[]Route) {
	items, ok := tables(v)
	if !ok {
		d.add(path, "must be an array of tables, not "+typeName(v), fmt.Sprintf("write each rule as [[%s]] with its keys under it", strings.Join(path, ".")))
		return
	}
	for _, t := range items {
		// Problems inside a rule name it by number: the locator knows the
		// line of the first [[routes]] table only.
		var r Route
		for _, k := range slices.Sorted(maps.Keys(t)) {
			kp := append(slices.Clone(path), k)
			switch k {
			case "start_payload":
				d.stringOrList(kp, t[k], &r.StartPayload)
			case "language":
				d.stringOrList(kp, t[k], &r.Language)
			case "keyword":
				d.set(kp, t[k], &r.Keyword)
			case "channels":
				d.set(kp, t[k], &r.Channels)
			default:
				d.unknown(kp, routeKeys)
			}
		}
		*dest = append(*dest, r)
	}
}

// stringOrList decodes a string or an array of strings.
func (d *decoder) stringOrList(path []string, v any, dest *[]string) {
	if _, ok := v.(string); ok {
		var s string
		d.set(path, v, &s)
		*dest = []string{s}
		return
	}
	d.set(path, v, dest)
}

// menu decodes a menu table at path into *dest.
func (d *decoder) menu(path []string, v any, dest **Menu) {
	t, ok := v.(map[string]any)
	if !ok {
		d.add(path, "must be a table, not "+typeName(v), fmt.Sprintf("write [%s] with question and options under it", strings.Join(path, ".")))
		return
	}
	m := &Menu{Timeout: Duration{DefaultMenuTimeout}}
	badOptions := false
	for _, k := range slices.Sorted(maps.Keys(t)) {
		kp := append(slices.Clone(path), k)
		switch k {
		case "question":
			d.set(kp, t[k], &m.Question)
		case "timeout":
			d.set(kp, t[k], &m.Timeout)
		case "options":
			opts, ok := tables(t[k])
			if !ok {
				d.add(kp, "must be an array of tables, not "+typeName(t[k]), `write options = [{ label = "Sales", channels = ["slack-sales"] }, ...]`)
				m.Options = nil
				badOptions = true
				continue
			}
			m.Options = []MenuOption{}
			for _, ot := range opts {
				var o MenuOption
				for _, ok := range slices.Sorted(maps.Keys(ot)) {
					okp := append(slices.Clone(kp), ok)
					switch ok {
					case "label":
						d.set(okp, ot[ok], &o.Label)
					case "channels":
						d.set(okp, ot[ok], &o.Channels)
					default:
						d.unknown(okp, menuOptionKeys)
					}
				}
				m.Options = append(m.Options, o)
			}
		default:
			d.unknown(kp, menuKeys)
		}
	}
	m.badOptions = badOptions
	*dest = m
}

// tables reads an array of tables, written as [[...]] or inline.
func tables(v any) ([]map[string]any, bool) {
	switch x := v.(type) {
	case []map[string]any:
		return x, true
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, item := range x {
			t, ok := item.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, t)
		}
		return out, true
	}
	return nil, false
}

// routing checks the routes and menu of the bot table at path against the
// configured channels, reporting every problem.
func (d *decoder) routing(path []string, t *Telegram, channels []Channel) {
	known, disabled := map[string]bool{}, map[string]bool{}
	var names []string
	for _, ch := range channels {
		if !ch.Enabled {
			disabled[ch.Name] = true
			continue
		}
		known[ch.Name] = true
		names = append(names, ch.Name)
	}
	channelList := func(p []string, chs []string, what string) {
		if len(chs) == 0 {
			d.add(p, fmt.Sprintf("%s names no channel", what), `list at least one, such as channels = ["slack"]`)
		}
		for _, ch := range chs {
			if disabled[ch] {
				d.add(p, fmt.Sprintf("%s names channel %q, which is disabled", what, ch), "enable it, or route to another channel")
				continue
			}
			if !known[ch] {
				fix := "configure [channels." + ch + "] or use one of: " + strings.Join(names, ", ")
				if s := suggest(ch, names); s != "" {
					fix = fmt.Sprintf("did you mean %q?", s)
				}
				d.add(p, fmt.Sprintf("%s names unknown channel %q", what, ch), fix)
			}
		}
	}
	rp := append(slices.Clone(path), "routes")
	for i := range t.Routes {
		r := &t.Routes[i]
		at := func(k string) []string { return append(slices.Clone(rp), k) }
		what := fmt.Sprintf("rule %d", i+1)
		if len(r.StartPayload) == 0 && len(r.Language) == 0 && r.Keyword == "" {
			d.add(rp, what+" has no condition",
				"give it start_payload, language or keyword; conversations no rule takes go to the default channels")
		}
		for _, p := range r.StartPayload {
			if p == "" || len(p) > 64 {
				d.add(at("start_payload"), fmt.Sprintf("%s: %q is not a deep-link payload", what, p), "Telegram payloads are 1 to 64 characters: A-Z, a-z, 0-9, _ and -")
			}
		}
		for j, l := range r.Language {
			l = strings.ToLower(strings.TrimSpace(l))
			if l == "" {
				d.add(at("language"), what+": an empty language code", `write a code such as "de"`)
			}
			r.Language[j] = l
		}
		if r.Keyword != "" {
			re, err := regexp.Compile(r.Keyword)
			if err != nil {
				d.add(at("keyword"), fmt.Sprintf("%s: not a regular expression: %v", what, err), `for example "(?i)refund|invoice"`)
			}
			r.keyword = re
		}
		channelList(at("channels"), r.Channels, what)
	}
	m := t.Menu
	if m == nil {
		return
	}
	mp := append(slices.Clone(path), "menu")
	at := func(k string) []string { return append(slices.Clone(mp), k) }
	switch n := utf8.RuneCountInString(m.Question); {
	case strings.TrimSpace(m.Question) == "":
		d.add(at("question"), "must not be empty", `write the question above the buttons, such as question = "What is it about?"`)
	case n > maxTelegramText:
		d.add(at("question"), fmt.Sprintf("is %d characters; Telegram takes at most %d", n, maxTelegramText), "")
	}
	switch {
	case m.badOptions:
	case len(m.Options) == 0:
		d.add(at("options"), "must list at least one option, or the menu can route nobody",
			`options = [{ label = "Sales", channels = ["slack-sales"] }], or remove the menu`)
	case len(m.Options) > MaxMenuOptions:
		d.add(at("options"), fmt.Sprintf("has %d options; an inline keyboard takes at most %d", len(m.Options), MaxMenuOptions), "")
	}
	seen := map[string]bool{}
	for i, o := range m.Options {
		what := fmt.Sprintf("option %d", i+1)
		switch n := utf8.RuneCountInString(o.Label); {
		case strings.TrimSpace(o.Label) == "":
			d.add(at("options"), what+" has no label", `give it label = "Sales"`)
		case n > MaxMenuLabel:
			d.add(at("options"), fmt.Sprintf("%s: label is %d characters, more than a button shows (%d)", what, n, MaxMenuLabel), "shorten it")
		case seen[o.Label]:
			d.add(at("options"), fmt.Sprintf("%s: label %q is used twice", what, o.Label), "give each option its own label")
		}
		seen[o.Label] = true
		channelList(at("options"), o.Channels, what)
	}
	if m.Timeout.Duration <= 0 {
		d.add(at("timeout"), "must be longer than zero", `the default is "10m"`)
	}
}
