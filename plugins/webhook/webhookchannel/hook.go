package webhookchannel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/signature"
)

// ReplyPayload is the JSON body a receiver POSTs to the channel's webhook
// to answer the Telegram user, or, with Action set, to act on the
// conversation: claim, unclaim, close or reopen it, react to a customer's
// message, delete an agent's reply, show "typing…", or transfer it.
type ReplyPayload struct {
	ConversationID string `json:"conversation_id"`
	// ID is the receiver's id of the reply or action; the host stores each
	// id once. A "typing" action may leave it out.
	ID          string                   `json:"id"`
	Text        string                   `json:"text,omitempty"`
	Attachments []ReplyPayloadAttachment `json:"attachments,omitempty"`
	// Action is "claim", "unclaim", "close", "reopen", "react", "delete",
	// "typing" or "transfer"; an action carries no text or attachments.
	Action string `json:"action,omitempty"`
	// Agent is who acted; without a name the host says "an agent".
	Agent *PayloadAgent `json:"agent,omitempty"`
	// MessageID is the message.id Parley sent for the customer's message a
	// "react" action is on; DeskMessageID, instead, is the "id" the
	// receiver answered that delivery with.
	MessageID     string `json:"message_id,omitempty"`
	DeskMessageID string `json:"desk_message_id,omitempty"`
	// Emoji is a "react" action's reaction; "" removes the bot's reaction.
	// A pointer, so that a missing key is told from an empty one.
	Emoji *string `json:"emoji,omitempty"`
	// ReplyID is the id of the agent's reply a "delete" action deletes.
	ReplyID string `json:"reply_id,omitempty"`
	// Channels are the channels a "transfer" action moves the conversation
	// to.
	Channels []string `json:"channels,omitempty"`
}

// ReplyPayloadAttachment is a file the channel fetches (GET) and sends to
// the user.
type ReplyPayloadAttachment struct {
	Name     string `json:"name"`
	MIMEType string `json:"mime_type"`
	URL      string `json:"url"`
}

// maxHookBody is the largest reply body accepted.
const maxHookBody = 1 << 20

// HandleWebhook implements sdk.Channel: a signed reply becomes one
// sdk.Reply, a signed action one sdk.Action. The signature is checked over
// the exact bytes received, before any parsing.
func (c *Channel) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	st, err := c.state.Get()
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return sdk.WebhookResponse{}, err
	}
	if req.Method != http.MethodPost {
		resp := answer(http.StatusMethodNotAllowed, "only POST is accepted")
		resp.Header["Allow"] = []string{http.MethodPost}
		return resp, nil
	}
	if len(req.Body) > maxHookBody {
		return answer(http.StatusRequestEntityTooLarge, "body is over 1 MiB"), nil
	}
	if err := signature.VerifyHMACSHA256([]byte(st.cfg.Secret), req.Body, req.HeaderValue(SignatureHeader)); err != nil {
		st.log.Warn("rejected webhook", "reason", err.Error(), "remote", req.RemoteAddr)
		return answer(http.StatusUnauthorized, SignatureHeader+": "+err.Error()), nil
	}
	resp := sdk.WebhookResponse{
		Status: http.StatusOK,
		Header: map[string][]string{"Content-Type": {"application/json"}},
		Body:   []byte(`{"ok":true}`),
	}
	p, problem := parsePayload(req.Body)
	if problem == "" && p.Action != "" {
		var action sdk.Action
		if action, problem = actionOf(p); problem == "" {
			resp.Actions = []sdk.Action{action}
			return resp, nil
		}
	}
	var reply sdk.Reply
	if problem == "" {
		reply, problem = replyOf(p)
	}
	if problem != "" {
		return answer(http.StatusBadRequest, problem), nil
	}
	resp.Replies = []sdk.Reply{reply}
	return resp, nil
}

// parsePayload decodes a reply or action body and checks the fields both
// need; problem is a message for the sender.
func parsePayload(body []byte) (ReplyPayload, string) {
	var p ReplyPayload
	if err := json.Unmarshal(body, &p); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			if typeErr.Field == "agent" || strings.HasPrefix(typeErr.Field, "agent.") {
				return p, `"agent" must be an object like {"name": "Grace Hopper"}`
			}
			if typeErr.Field == "channels" || strings.HasPrefix(typeErr.Field, "channels.") {
				return p, `"channels" must be a list of channel names like ["helpscout"]`
			}
			return p, fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type)
		}
		return p, "body is not a JSON object"
	}
	switch {
	case strings.TrimSpace(p.ConversationID) == "":
		return p, `"conversation_id" is required`
	case strings.TrimSpace(p.ID) == "" && p.Action != string(sdk.ActionTyping):
		return p, `"id" is required`
	}
	return p, ""
}

// actionFields names the fields only some actions carry, with the action
// each belongs to, so a field sent with the wrong action is refused
// rather than silently dropped.
var actionFields = []struct {
	name string
	kind sdk.ActionKind
	set  func(ReplyPayload) bool
}{
	{"message_id", sdk.ActionReact, func(p ReplyPayload) bool { return p.MessageID != "" }},
	{"desk_message_id", sdk.ActionReact, func(p ReplyPayload) bool { return p.DeskMessageID != "" }},
	{"emoji", sdk.ActionReact, func(p ReplyPayload) bool { return p.Emoji != nil }},
	{"reply_id", sdk.ActionDelete, func(p ReplyPayload) bool { return p.ReplyID != "" }},
	{"channels", sdk.ActionTransfer, func(p ReplyPayload) bool { return p.Channels != nil }},
}

// actionOf validates an action body.
func actionOf(p ReplyPayload) (sdk.Action, string) {
	kind := sdk.ActionKind(p.Action)
	switch kind {
	case sdk.ActionClaim, sdk.ActionUnclaim, sdk.ActionClose, sdk.ActionReopen,
		sdk.ActionReact, sdk.ActionDelete, sdk.ActionTyping, sdk.ActionTransfer:
	default:
		return sdk.Action{}, fmt.Sprintf(`unknown "action" %q: want "claim", "unclaim", "close", "reopen", "react", "delete", "typing" or "transfer"`, p.Action)
	}
	// One request is one thing: a reply folded into an action would be
	// lost or sent under the action's id, so the sender must split them.
	if p.Text != "" || len(p.Attachments) > 0 {
		return sdk.Action{}, `an "action" carries no "text" or "attachments": send the reply and the action as two requests`
	}
	for _, f := range actionFields {
		if f.set(p) && f.kind != kind {
			return sdk.Action{}, fmt.Sprintf(`%q belongs to a %q action, not %q`, f.name, f.kind, kind)
		}
	}
	a := sdk.Action{Kind: kind, ConversationID: p.ConversationID, ExternalID: p.ID}
	if p.Agent != nil {
		a.Agent = strings.TrimSpace(p.Agent.Name)
	}
	switch kind {
	case sdk.ActionReact:
		switch ids := strings.TrimSpace(p.MessageID) + strings.TrimSpace(p.DeskMessageID); {
		case ids == "":
			return sdk.Action{}, `a "react" action needs "message_id": the message.id Parley sent for the customer's message ` +
				`(or "desk_message_id", the "id" you answered its delivery with)`
		case p.MessageID != "" && p.DeskMessageID != "":
			return sdk.Action{}, `a "react" action names its message once: "message_id" or "desk_message_id", not both`
		case p.Emoji == nil:
			return sdk.Action{}, `a "react" action needs "emoji" (an emoji such as "👍", or "" to remove the reaction)`
		case *p.Emoji != strings.TrimSpace(*p.Emoji) || utf8.RuneCountInString(*p.Emoji) > maxEmojiRunes:
			return sdk.Action{}, fmt.Sprintf(`"emoji" %q is not one emoji`, *p.Emoji)
		}
		a.MessageID, a.DeskMessageID, a.Emoji = p.MessageID, p.DeskMessageID, *p.Emoji
	case sdk.ActionDelete:
		if strings.TrimSpace(p.ReplyID) == "" {
			return sdk.Action{}, `a "delete" action needs "reply_id": the "id" of the agent's reply to delete`
		}
		a.ReplyExternalID = p.ReplyID
	case sdk.ActionTransfer:
		if len(p.Channels) == 0 {
			return sdk.Action{}, `a "transfer" action needs "channels": the names of the channels to move the conversation to`
		}
		for i, ch := range p.Channels {
			if strings.TrimSpace(ch) == "" {
				return sdk.Action{}, fmt.Sprintf(`"channels[%d]" is empty: name a channel`, i)
			}
		}
		a.Channels = p.Channels
	case sdk.ActionTyping:
		if a.ExternalID == "" {
			a.ExternalID = typingID()
		}
	}
	return a, ""
}

// maxEmojiRunes bounds a reaction: Telegram's reaction emoji are one to a
// few code points (a base, a variation selector, joiners); anything longer
// is text sent by mistake.
const maxEmojiRunes = 8

// typingID names a "typing" action sent without an id. The host applies
// each action id once; "typing…" is shown for a few seconds and worth
// repeating, so each such request gets an id of its own.
func typingID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "typing-" + hex.EncodeToString(b[:])
}

// replyOf validates a reply body.
func replyOf(p ReplyPayload) (sdk.Reply, string) {
	if strings.TrimSpace(p.Text) == "" && len(p.Attachments) == 0 {
		return sdk.Reply{}, `"text" or "attachments" is required (or an "action")`
	}
	r := sdk.Reply{ConversationID: p.ConversationID, ExternalID: p.ID, Text: p.Text, Format: sdk.FormatPlain}
	for i, a := range p.Attachments {
		if !httpURL(a.URL) {
			return sdk.Reply{}, fmt.Sprintf(`"attachments[%d].url" must be an http or https URL`, i)
		}
		r.Attachments = append(r.Attachments, sdk.ReplyAttachment{Ref: a.URL, Name: a.Name, MIMEType: a.MIMEType})
	}
	return r, ""
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// answer is a JSON error response: {"ok":false,"error":"..."}.
func answer(status int, msg string) sdk.WebhookResponse {
	body, _ := json.Marshal(map[string]any{"ok": false, "error": msg})
	return sdk.WebhookResponse{
		Status: status,
		Header: map[string][]string{"Content-Type": {"application/json"}},
		Body:   body,
	}
}
