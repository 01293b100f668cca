// Package router decides which channels receive a conversation.
//
// Without rules every enabled channel receives every conversation. With
// rules ([[telegram.routes]]) and a menu ([telegram.menu]) the route is
// decided when a conversation starts: the first rule whose conditions all
// hold wins; at /start, when none did, the menu is asked; otherwise the
// default route (Default) takes it. The store keeps the route for the
// conversation's life; a transfer changes it.
package router

import (
	"slices"
	"strings"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
)

// Router routes conversations to channels.
type Router struct {
	channels []string
	rules    []config.Route
	menu     *config.Menu
}

// New returns a Router over the enabled channels, in config order, with
// no rules: every conversation goes to every channel.
func New(enabled []string) *Router {
	return &Router{channels: append([]string(nil), enabled...)}
}

// WithRules returns a Router over the enabled channels that routes by the
// bot's rules and menu (as checked by config: every channel they name is
// enabled).
func WithRules(enabled []string, rules []config.Route, menu *config.Menu) *Router {
	r := New(enabled)
	r.rules, r.menu = rules, menu
	return r
}

// Route returns the channels that receive the conversation: its own route
// once set, none while it waits for the menu, else the default.
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
// before routing): every enabled channel. It is the one place a per-bot
// default list of channels plugs in.
func (r *Router) Default(store.Conversation) []string {
	return slices.Clone(r.channels)
}

// Channels returns every channel the router knows.
func (r *Router) Channels() []string { return slices.Clone(r.channels) }

// Menu is the menu asked at /start, nil when none.
func (r *Router) Menu() *config.Menu { return r.menu }

// Update is what an update tells about the conversation it may start.
type Update struct {
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

// Decide routes the conversation u would start: nil when the router has
// no rules and no menu (intake stays as before routing).
func (r *Router) Decide(u Update) *store.Routing {
	if len(r.rules) == 0 && r.menu == nil {
		return nil
	}
	if rule := r.Match(u); rule != nil {
		return &store.Routing{Channels: slices.Clone(rule.Channels)}
	}
	switch {
	case u.Start && !u.HasMessage && r.menu != nil:
		return &store.Routing{Menu: &store.MenuAsk{Question: r.menu.Question}}
	case u.HasMessage:
		return &store.Routing{Channels: r.Default(store.Conversation{})}
	}
	return &store.Routing{} // nothing to decide on yet (a bare /start)
}

// Match returns the first rule whose every condition holds for u, nil
// when none does. A start_payload rule needs a /start with that payload;
// a keyword rule, a message whose text matches.
func (r *Router) Match(u Update) *config.Route {
	for i := range r.rules {
		if matches(&r.rules[i], u) {
			return &r.rules[i]
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
