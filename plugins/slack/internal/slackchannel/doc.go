// Package slackchannel is the Slack desk of Parley: every Telegram
// conversation is one thread in a configured Slack channel, and agents
// answer the customer by replying in that thread.
//
// Deliver posts a header parent (name, @username, language, Telegram id,
// start payload, start time) on a conversation's first message and every
// message as a thread reply under the customer's name, with Telegram
// formatting rendered as mrkdwn and files as links or uploads. A customer's
// edit updates the reply it edits (chat.update), or becomes a marked reply
// when Slack refuses the update.
//
// Agent replies arrive over the Events API (HandleWebhook, signature
// verified, retries deduplicated by event_id) or over Socket Mode (the
// plugin holds the websocket and posts replies through the host, acking
// each envelope after the host stored its replies). Both map a thread reply
// to an sdk.Reply whose ExternalID is the Slack message ts.
package slackchannel
