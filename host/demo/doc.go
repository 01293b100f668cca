// Package demo runs `parley demo`: the real host, a real desk plugin process
// and a real SQLite store, between the project's fake Telegram Bot API and a
// fake desk, with a local two-pane web page to play both ends.
//
// The left pane is a Telegram-like chat: what the visitor types there is
// pushed into the fake Telegram as a demo user, and what the bot sends back
// is read from the fake. The right pane is the desk's inbox: what the plugin
// delivered, grouped by conversation, with a reply box that answers through
// the desk's real webhook into the host. Nothing between the two edges is
// simulated.
//
// Each desk is read the way its agents see it: the webhook desk's signed
// deliveries, Slack threads, Help Scout conversations and their threads,
// HipChat room notifications grouped by their "#N" handle. The reply box
// answers the way an agent would: a signed webhook POST, a Slack thread
// reply, a Help Scout agent reply (and its signed webhook), a "#N text"
// room message.
package demo
