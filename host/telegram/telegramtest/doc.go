// Package telegramtest is a fake Telegram Bot API server that telego cannot tell from the real one.
//
// It is a real HTTP server on 127.0.0.1 that speaks the Bot API wire format (routes, encodings,
// envelope, error texts of the Bot API reference and the open-source Bot API server), so the host's
// intake, sender and file access, and plugins with their own bot, are tested through the same
// client and HTTP stack they use in production. It is importable outside tests: `parley demo` runs
// it in-process and end-to-end tests run it beside real parley processes.
//
// One server serves several bots (Server.AddBot), each with its own token, getMe identity, private
// chats, update queue and offset, allowed_updates, webhook, faults and record of what it sent;
// users, groups and files are shared, as on Telegram. The bot of Options is the first, and the
// test-side methods on [Server] act on it, so single-bot tests never need a [Bot].
//
// The bot side is the HTTP API: getMe, getUpdates, webhooks, sendMessage, the send* media methods,
// editMessageText, editMessageReplyMarkup, deleteMessage, sendChatAction, getFile and file download,
// answerCallbackQuery, setMessageReaction, getUserProfilePhotos, getChat, getChatMember, the forum
// topic methods, the Business methods (getBusinessConnection, readBusinessMessage,
// deleteBusinessMessages, business_connection_id on sends and edits) and set/getMyCommands. The test
// side is the Go API: add users, bots, supergroups and files; push updates of any kind; make users
// write, tap buttons, react, connect business accounts and post in forum topics; read what each bot
// sent and called; block a chat; revoke a token; inject faults (429 with retry_after, 5xx, delays,
// dropped connections); enforce the per-group rate limit by an injectable clock.
//
// docs/telegram-fake.md lists every method with the rules and error texts it mirrors, and which
// texts are assumptions. Where the fake is deliberately stricter than Telegram it says so on the
// method; the aim is that a bug which Telegram would reject shows up in tests, and nothing Telegram
// accepts from a correct client is refused.
package telegramtest
