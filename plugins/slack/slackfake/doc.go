// Package slackfake is a Slack workspace for tests and demos: a real HTTP
// server on 127.0.0.1 speaking Slack's wire format, faithful where the
// Parley Slack plugin depends on it.
//
// One origin serves the Web API (/api/<method>, form, multipart or JSON
// bodies, token from the Bearer header or the token field, scope checks,
// ok:false errors and X-OAuth-Scopes), the upload host (/upload/v1/<id>),
// private file downloads (/files-pri/..., Bearer token with files:read or a
// sign-in redirect), and Socket Mode (apps.connections.open minting
// one-time /link/ websocket URLs; hello, pings, events_api envelopes,
// recorded acks, redelivery of unacked envelopes on reconnect).
//
// Events reach the app in order, over Socket Mode once a client opened it,
// else as signed Events API requests to the URL set with
// [Fake.SetEventsURL] (3 s timeout, X-Slack-Retry-Num retries). The app's
// own posts echo back as events, as on Slack, and its chat.update edits
// (of its own messages only: cant_update_message otherwise) come back as
// message_changed. Agent actions
// ([Fake.AgentReply], [Fake.AgentEdit], [Fake.AgentUpload], ...) change the
// workspace and send the matching event; [Fake.Inject429] and
// [Fake.InjectError] make calls fail; [Fake.Messages], [Fake.Calls],
// [Fake.Acks] and [Fake.Deliveries] show what happened.
//
//	fake := slackfake.New()
//	defer fake.Close()
//	cfg := fmt.Sprintf(`{"bot_token":%q,"signing_secret":%q,"channel":"support","api_url":%q}`,
//		slackfake.BotToken, slackfake.SigningSecret, fake.APIURL())
package slackfake
