// Package telegramtest is a fake Telegram Bot API server that telego cannot tell from the real one.
//
// It is a real HTTP server on 127.0.0.1 that speaks the Bot API wire format (routes, encodings,
// envelope, error texts of the Bot API reference: making requests, getUpdates, files, errors), so the host's
// intake, sender and file access are tested through the same client and HTTP stack they use in
// production. It is importable outside tests: `parley demo` runs it in-process and end-to-end tests
// run it beside real parley processes.
//
// The bot side is the HTTP API (getMe, getUpdates, webhooks, sendMessage, editMessageText, the send*
// media methods, sendChatAction, getFile and file download). The test side is the Go API on
// [Server]: add users and files, push updates of any kind, read what the bot sent, block a chat and
// inject faults (429 with retry_after, 5xx, delays, dropped connections).
//
// Where the fake is deliberately stricter than Telegram it says so on the method; the aim is that a
// bug which Telegram would reject shows up in tests, and nothing Telegram accepts from a correct
// client is refused.
package telegramtest
