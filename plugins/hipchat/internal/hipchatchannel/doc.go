// Package hipchatchannel is Parley's HipChat channel: it posts Telegram
// conversations into one HipChat room as notifications and turns agents'
// room messages into replies.
//
// HipChat has no threads, so every conversation is known in the room by
// its number: "#42". Each notification carries the handle, agents answer
// by starting a message with it ("#42 your text", or "@bot #42 text"),
// and the thread ref is the number itself, so the plugin stays stateless.
package hipchatchannel
