// Package slackfake is a Slack workspace for tests and demos: a real HTTP
// server on 127.0.0.1 speaking Slack's wire format, faithful where the
// Parley Slack plugin depends on it.
//
// One origin serves the Web API (/api/<method>, form, multipart or JSON
// bodies, token from the Bearer header or the token field, scope checks,
// ok:false errors and X-OAuth-Scopes), the upload host (/upload/v1/<id>),
// private file downloads (/files-pri/..., Bearer token with files:read or a
// sign-in redirect), and Socket Mode (apps.connections.open minting
// one-time /link/ websocket URLs; hello, pings, events_api and
// interactive envelopes, recorded acks, redelivery of unacked events on
// reconnect), and the response_url of interactive messages (/actions/...).
//
// Events reach the app in order, over Socket Mode once a client opened it,
// else as signed Events API requests to the URL set with
// [Fake.SetEventsURL] (3 s timeout, X-Slack-Retry-Num retries). The app's
// own posts echo back as events, as on Slack, and its chat.update edits
// (of its own messages only: cant_update_message otherwise) come back as
// message_changed; chat.delete (own messages only: cant_delete_message)
// comes back as message_deleted. Agent actions
// ([Fake.AgentReply], [Fake.AgentEdit], [Fake.AgentUpload],
// [Fake.AgentDelete], ...) change the workspace and send the matching
// event; [Fake.Inject429] and [Fake.InjectError] make calls fail;
// [Fake.Messages], [Fake.Deleted], [Fake.Calls], [Fake.Acks] and
// [Fake.Deliveries] show what happened.
//
// Reactions: reactions.add and reactions.remove (reactions:write) and
// reactions.get (reactions:read) keep [Reaction]s per message, with
// Slack's errors (already_reacted, no_reaction, message_not_found,
// invalid_name, no_item_specified, too_many_emoji). [Fake.AgentReact] and
// [Fake.AgentUnreact] play a human and send reaction_added /
// reaction_removed ({type, user, reaction, item_user, item {type:
// "message", channel, ts}, event_ts}); the bot's own reactions come back
// as events too. No reaction event goes out while the bot lacks
// reactions:read.
//
// Block Kit: chat.postMessage and chat.update check blocks as deep as the
// plugin needs (invalid_blocks with Slack's "errors" otherwise) and store
// them raw in [Message].Blocks; events and payloads show them with the
// block_id and action_id Slack fills in when the app left them out.
// [Fake.AgentClick] clicks a button and sends the block_actions payload:
// over HTTP one signed application/x-www-form-urlencoded POST of
// "payload=<JSON>" to the URL set with [Fake.SetInteractivityURL] (else
// the events URL), without retries; over Socket Mode an interactive
// envelope, whose ack [Fake.Acked] reports and which is not redelivered.
// The payload's response_url is served by the fake (replace_original,
// delete_original, in_channel; see [Fake.ResponseURLPosts]).
//
// Avatars: with chat:write.customize, chat.postMessage's username,
// icon_url and icon_emoji are kept in [Message]; without it Slack ignores
// them silently. users.info gives profile.display_name, real_name and
// image_72 ([User].Image72).
//
//	fake := slackfake.New()
//	defer fake.Close()
//	cfg := fmt.Sprintf(`{"bot_token":%q,"signing_secret":%q,"channel":"support","api_url":%q}`,
//		slackfake.BotToken, slackfake.SigningSecret, fake.APIURL())
package slackfake
