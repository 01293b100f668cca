// Package httpserver is the host's public HTTP listener:
//
//	/hooks/<channel>[/...]   a desk's webhook, handed raw to the channel's plugin
//	/files/<token>           a signed, expiring link that streams a Telegram file
//	/telegram/webhook        Telegram updates in webhook mode (when enabled)
//
// Every request that carries agent replies is answered only after the
// replies are committed to the store, so a desk that sees a 2xx can forget
// the reply: Parley has it.
package httpserver
