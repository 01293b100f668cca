package webhookchannel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/signature"
)

// ReplyPayload is the JSON body a receiver POSTs to the channel's webhook
// to answer the Telegram user, or, with Action set, to claim, unclaim,
// close or reopen the conversation.
type ReplyPayload struct {
	ConversationID string `json:"conversation_id"`
	// ID is the receiver's id of the reply or action; the host stores each
	// id once.
	ID          string                   `json:"id"`
	Text        string                   `json:"text,omitempty"`
	Attachments []ReplyPayloadAttachment `json:"attachments,omitempty"`
	// Action is "claim", "unclaim", "close" or "reopen"; an action carries
	// no text or attachments.
	Action string `json:"action,omitempty"`
	// Agent is who acted; without a name the host says "an agent".
	Agent *PayloadAgent `json:"agent,omitempty"`
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
// sdk.Reply, a signed action one sdk.Action. The signature is checked over the exact bytes received,
// before any parsing.
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
			return p, fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type)
		}
		return p, "body is not a JSON object"
	}
	switch {
	case strings.TrimSpace(p.ConversationID) == "":
		return p, `"conversation_id" is required`
	case strings.TrimSpace(p.ID) == "":
		return p, `"id" is required`
	}
	return p, ""
}

// actionOf validates an action body.
func actionOf(p ReplyPayload) (sdk.Action, string) {
	kind := sdk.ActionKind(p.Action)
	switch kind {
	case sdk.ActionClaim, sdk.ActionUnclaim, sdk.ActionClose, sdk.ActionReopen:
	default:
		return sdk.Action{}, fmt.Sprintf(`unknown "action" %q: want "claim", "unclaim", "close" or "reopen"`, p.Action)
	}
	// One request is one thing: a reply folded into an action would be
	// lost or sent under the action's id, so the sender must split them.
	if p.Text != "" || len(p.Attachments) > 0 {
		return sdk.Action{}, `an "action" carries no "text" or "attachments": send the reply and the action as two requests`
	}
	a := sdk.Action{Kind: kind, ConversationID: p.ConversationID, ExternalID: p.ID}
	if p.Agent != nil {
		a.Agent = strings.TrimSpace(p.Agent.Name)
	}
	return a, ""
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
