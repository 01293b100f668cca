// Package dispatch is the host's outbox worker. It moves stored work
// outwards: user messages to desk plugins (Channel.Deliver) and agent
// replies to Telegram, each lane strictly in order, many lanes at once,
// with retries, backoff and a bounded number of attempts.
//
// Lanes and order come from the store: a claim returns only the head of a
// lane, so the dispatcher never needs to know about order itself; it only
// keeps every claimed row busy until it is done, retried or failed.
package dispatch
