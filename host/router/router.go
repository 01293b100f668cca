// Package router decides which channels receive a conversation.
//
// A conversation goes to its bot's default route: the bot's channels key
// ([bots.<name>] channels), or every enabled channel when the bot names
// none. Rules on top of this default (by language, deep-link payload, ...)
// come behind the same Route call without touching intake or dispatch.
package router

import (
	"slices"
	"sync/atomic"

	"github.com/parley-dev/parley/host/store"
)

// Router routes conversations to channels. It is safe for concurrent use;
// Set replaces its table at once (a config reload).
type Router struct {
	t atomic.Pointer[table]
}

// table is what a Router routes by; never changed once published.
type table struct {
	channels []string
	// bots are the bots' default routes, by bot name; a bot not listed
	// goes to every channel.
	bots map[string][]string
}

// New returns a Router over the enabled channels, in config order, where
// every bot goes to every channel.
func New(enabled []string) *Router {
	r := &Router{}
	r.Set(enabled, nil)
	return r
}

// Set replaces the enabled channels and the bots' default routes
// (channels by bot name; a bot absent or with none goes to every enabled
// channel). A bot's channels that are not enabled are left out.
func (r *Router) Set(enabled []string, bots map[string][]string) {
	t := &table{channels: slices.Clone(enabled), bots: map[string][]string{}}
	for bot, chs := range bots {
		var keep []string
		for _, ch := range chs {
			if slices.Contains(enabled, ch) && !slices.Contains(keep, ch) {
				keep = append(keep, ch)
			}
		}
		if len(chs) > 0 {
			t.bots[store.BotOr(bot)] = keep
		}
	}
	r.t.Store(t)
}

// Route returns the channels that receive the conversation.
func (r *Router) Route(c store.Conversation) []string {
	return r.ForBot(c.Bot)
}

// ForBot returns the channels that receive a conversation of bot: its
// default route.
func (r *Router) ForBot(bot string) []string {
	t := r.t.Load()
	if chs, ok := t.bots[store.BotOr(bot)]; ok {
		return slices.Clone(chs)
	}
	return slices.Clone(t.channels)
}

// Channels returns every channel the router knows.
func (r *Router) Channels() []string { return slices.Clone(r.t.Load().channels) }
