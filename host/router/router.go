// Package router decides which channels receive a conversation.
//
// Each bot has a default route: its channels key ([bots.<name>] channels),
// or every enabled channel when it names none. With rules
// ([[bots.<name>.routes]]) and a menu ([bots.<name>.menu]) the route is
// decided when a conversation starts: the first rule whose conditions all
// hold wins; at /start, when none did, the menu is asked; otherwise the
// bot's default route takes it. The store keeps the route for the
// conversation's life; a transfer changes it.
package router

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
)

// Router routes conversations to channels. It is safe for concurrent use;
// Set replaces its table at once (a config reload).
type Router struct {
	t atomic.Pointer[table]
}

// Bot is how one bot's conversations are routed.
type Bot struct {
	// Channels is the bot's default route; none means every enabled
	// channel.
	Channels []string
	// Rules and Menu decide a new conversation's route (as checked by
	// config: every channel they name is enabled).
	Rules []config.Route
	Menu  *config.Menu
}

// table is what a Router routes by; never changed once published.
type table struct {
	channels []string
	// bots by name; a bot not listed goes to every channel, with no rules.
	bots map[string]Bot
}

// New returns a Router over the enabled channels, in config order, where
// every bot goes to every channel.
func New(enabled []string) *Router {
	r := &Router{}
	r.Set(enabled, nil)
	return r
}

// WithRules returns a Router over the enabled channels that routes the
// default bot by rules and a menu.
func WithRules(enabled []string, rules []config.Route, menu *config.Menu) *Router {
	r := &Router{}
	r.Set(enabled, map[string]Bot{store.DefaultBot: {Rules: rules, Menu: menu}})
	return r
}

// Set replaces the enabled channels and the bots' routing. A bot's default
// channels that are not enabled are left out.
func (r *Router) Set(enabled []string, bots map[string]Bot) {
	t := &table{channels: slices.Clone(enabled), bots: map[string]Bot{}}
	for name, b := range bots {
		var keep []string
		for _, ch := range b.Channels {
			if slices.Contains(enabled, ch) && !slices.Contains(keep, ch) {
				keep = append(keep, ch)
			}
		}
		if len(b.Channels) == 0 {
			keep = nil
		}
		t.bots[store.BotOr(name)] = Bot{Channels: keep, Rules: b.Rules, Menu: b.Menu}
	}
	r.t.Store(t)
}

// Route returns the channels that receive the conversation: its own route
// once set, none while it waits for the menu, else its bot's default.
func (r *Router) Route(c store.Conversation) []string {
	switch c.RouteState {
	case store.RouteSet:
		return slices.Clone(c.Route)
	case store.RouteMenu:
		return nil
	}
	return r.Default(c)
}

// Default is the route of a conversation no rule took (and of those from
// before routing): its bot's default route.
func (r *Router) Default(c store.Conversation) []string {
	return r.ForBot(c.Bot)
}

// ForBot returns the default route of bot's conversations: its channels,
// or every enabled channel when it names none.
func (r *Router) ForBot(bot string) []string {
	t := r.t.Load()
	if b, ok := t.bots[store.BotOr(bot)]; ok && b.Channels != nil {
		return slices.Clone(b.Channels)
	}
	return slices.Clone(t.channels)
}

// Channels returns every channel the router knows.
func (r *Router) Channels() []string { return slices.Clone(r.t.Load().channels) }

// Menu is the menu bot asks at /start, nil when none.
func (r *Router) Menu(bot string) *config.Menu {
	return r.t.Load().bots[store.BotOr(bot)].Menu
}

// Update is what an update tells about the conversation it may start.
type Update struct {
	// Bot is the bot the update came through ("" is the default bot).
	Bot string
	// Start: the update is /start, with the deep-link Payload ("" bare).
	Start   bool
	Payload string
	// Language is the user's Telegram language_code.
	Language string
	// HasMessage: the update carries a message to relay, whose Text is
	// what keyword rules search.
	HasMessage bool
	Text       string
}

// Decide routes the conversation u would start: nil when its bot has no
// rules and no menu (intake stays as before routing).
func (r *Router) Decide(u Update) *store.Routing {
	b := r.t.Load().bots[store.BotOr(u.Bot)]
	if len(b.Rules) == 0 && b.Menu == nil {
		return nil
	}
	if rule := match(b.Rules, u); rule != nil {
		return &store.Routing{Channels: slices.Clone(rule.Channels)}
	}
	switch {
	case u.Start && !u.HasMessage && b.Menu != nil:
		return &store.Routing{Menu: &store.MenuAsk{Question: b.Menu.Question}}
	case u.HasMessage:
		return &store.Routing{Channels: r.ForBot(u.Bot)}
	}
	return &store.Routing{} // nothing to decide on yet (a bare /start)
}

// Match returns the first rule of u's bot whose every condition holds for
// u, nil when none does. A start_payload rule needs a /start with that
// payload; a keyword rule, a message whose text matches.
func (r *Router) Match(u Update) *config.Route {
	return match(r.t.Load().bots[store.BotOr(u.Bot)].Rules, u)
}

func match(rules []config.Route, u Update) *config.Route {
	for i := range rules {
		if matches(&rules[i], u) {
			return &rules[i]
		}
	}
	return nil
}

func matches(rule *config.Route, u Update) bool {
	if len(rule.StartPayload) > 0 && !(u.Start && u.Payload != "" && slices.Contains(rule.StartPayload, u.Payload)) {
		return false
	}
	if len(rule.Language) > 0 {
		lang := strings.ToLower(u.Language)
		if lang == "" || !slices.ContainsFunc(rule.Language, func(p string) bool { return strings.HasPrefix(lang, p) }) {
			return false
		}
	}
	if re := rule.KeywordRegexp(); re != nil && !(u.HasMessage && re.MatchString(u.Text)) {
		return false
	}
	return true
}
