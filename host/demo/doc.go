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
//
// Conversations are tickets (the demo turns the rating on and reopening
// off, so a message after a close starts conversation #2). Each thread shows
// its state and lifecycle buttons that act as the desk's agents would: the
// webhook plugin's signed action POST, a click on the Slack header's
// buttons, a Help Scout assignment or status change (and its webhook), a
// "#N /close" room message. A bot message with an inline keyboard shows its
// buttons in the chat pane; a click taps it through the fake Telegram, and
// the bot's edit (the rating's thanks) replaces the message in place.
package demo
