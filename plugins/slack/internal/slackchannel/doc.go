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
//
// Conversations have a lifecycle (open, claimed, closed). The header shows
// the state with buttons (Claim, Unclaim, Close, Reopen); agents change it
// with those buttons (interactivity requests at the same webhook URL, or
// Socket Mode interactive envelopes) or with reactions on the header
// (close_reaction closes and, removed, reopens; claim_reaction claims).
// Each becomes an sdk.Action, returned in the webhook answer or posted
// with Host.PostAction. Lifecycle notices from the host rewrite the header
// (chat.update) and leave a line in the thread; a change made elsewhere
// also shows as the app's own reaction. A conversation that follows a
// closed one gets a new header linking the previous thread.
//
// Reactions cross both ways (emoji.go maps Telegram's reaction set to Slack
// names): a customer's reaction notice on an agent's reply becomes the
// app's reaction on it, and an agent's reaction on a customer's post an
// ActionReact naming that post's ts. An agent deleting their reply
// (message_deleted) becomes an ActionDelete of that ts. Other wave-2
// notices (deletions, the Business owner's messages, transfers, failures)
// are the app's lines in the thread; the header names the bot and the
// Telegram Business account.
package slackchannel
