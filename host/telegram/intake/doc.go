// Package intake receives Telegram updates by long polling, at least once.
//
// telego's UpdatesViaLongPolling confirms a batch to Telegram before the application has stored it
// (the Bot API confirms an update when getUpdates is called with a higher offset), so a crash loses updates. A [Poller] drives getUpdates itself: it hands a
// batch to its Handler and asks for the next batch (the call that confirms the previous one) only
// after the Handler returned nil, i.e. after the updates are durably stored. It fetches the raw
// result and decodes each update on its own, so one update telego cannot decode reaches the Handler
// as an undecodable [Update] instead of stalling intake forever.
package intake
