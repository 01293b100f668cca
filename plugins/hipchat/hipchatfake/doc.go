// Package hipchatfake is a local HipChat REST API v2 server for tests and
// demos. HipChat is discontinued, so this fake is the reference the
// channel is tested against: it speaks the wire format of
// HipChat's REST API v2 reference (JSON bodies, the error envelope, UUID
// message ids, integer room/user/webhook ids, microsecond dates).
//
// It serves room notifications, room messages, file shares, private
// messages, room lookup and history, room webhooks and the files agents
// share; it authenticates tokens (personal, room notification, add-on)
// with scopes, emits X-Ratelimit-* and X-FloodControl-* headers and
// enforces them with 429, and plays scripted faults. As HipChat, it sends
// room_message and room_notification webhooks — unsigned, or signed with a
// JWT (HS256) as add-on webhooks are — and posts a webhook's JSON answer
// back into the room as a notification.
//
// Start it with [New]; drive it from Go ([Server.SendRoomMessage],
// [Server.Notifications], [Server.Inject]) or over HTTP under /_fake/.
package hipchatfake
