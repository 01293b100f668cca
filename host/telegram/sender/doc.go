// Package sender is the one way Parley talks to Telegram's send methods:
// every message, upload and edit goes through a [Sender], which
//
//   - keeps to Telegram's limits with one rate limiter per chat (about one
//     message a second, a small burst) and one for the whole bot (30/s);
//   - honours a 429's retry_after exactly, retries 5xx and network errors
//     with bounded exponential backoff, and never retries a request
//     Telegram rejected (except "can't parse entities", resent once as
//     plain text);
//   - splits long texts, chooses the upload method by MIME type, and sends
//     a reply's text even when one of its files cannot be sent.
//
// Errors carry the SDK's markers: [sdk.RetryAfter] for "try again later",
// [sdk.Permanent] for requests Telegram will never accept, and
// [ErrBlocked] when the user can no longer be reached. The bot token never
// appears in an error.
package sender
