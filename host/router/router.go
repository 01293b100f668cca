// Package router decides which channels receive a conversation.
//
// Today every enabled channel receives every conversation: a team that runs
// two desks sees each customer in both, and either can answer. A
// per-channel filter (by language, deep-link payload, ...) can come later
// behind the same Route call without touching intake or dispatch.
package router

import "github.com/parley-dev/parley/host/store"

// Router routes conversations to channels.
type Router struct {
	channels []string
}

// New returns a Router over the enabled channels, in config order.
func New(enabled []string) *Router {
	return &Router{channels: append([]string(nil), enabled...)}
}

// Route returns the channels that receive the conversation.
func (r *Router) Route(store.Conversation) []string {
	return append([]string(nil), r.channels...)
}

// Channels returns every channel the router knows.
func (r *Router) Channels() []string { return append([]string(nil), r.channels...) }
