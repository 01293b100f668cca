package hipchatchannel

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// jwtLeeway is the clock skew tolerated between HipChat's clock and ours
// on a webhook JWT's exp and iat.
const jwtLeeway = 30 * time.Second

// jwtMaxAge is how long after its iat a webhook JWT is accepted. HipChat
// signs each delivery afresh, so an older token is a captured one being
// replayed, however far away its exp is.
const jwtMaxAge = 5 * time.Minute

// payload is the part of a HipChat webhook the channel reads; HipChat
// deployments add fields, and unknown ones are ignored.
type payload struct {
	Event string `json:"event"`
	Item  struct {
		Message struct {
			ID      string          `json:"id"`
			Type    string          `json:"type"`
			Message string          `json:"message"`
			From    json.RawMessage `json:"from"`
			File    *struct {
				Name string `json:"name"`
				Size int64  `json:"size"`
				URL  string `json:"url"`
			} `json:"file"`
		} `json:"message"`
		Room struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"room"`
	} `json:"item"`
	OAuthClientID string `json:"oauth_client_id"`
}

// sender is a user "from"; notifications carry a plain string instead.
type sender struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	MentionName string `json:"mention_name"`
}

// HandleWebhook authenticates a HipChat webhook and turns "#42 text" into
// a reply and "#42 /close" (/claim, /unclaim, /reopen) into an action.
// Either is posted to the host before HipChat gets its answer, so an
// unknown handle can be explained in the room; messages addressed to
// the plugin without a usable handle get the syntax back. Both answers are
// a JSON notification in the response body, which HipChat posts into the
// room (nothing to call, no extra scope).
func (c *Channel) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	st, err := c.state.Get()
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	token := bearerJWT(req)
	if token == "" && !pathSecretOK(req.Path, st.cfg.WebhookSecret) {
		return status(http.StatusUnauthorized), nil
	}
	var claims *hipchatClaims
	if token != "" {
		if claims, err = c.verifyJWT(token, st.cfg.WebhookSecret); err != nil {
			st.log.Warn("webhook with an invalid JWT rejected", "reason", err.Error())
			return status(http.StatusUnauthorized), nil
		}
	}
	if req.Method != http.MethodPost {
		return status(http.StatusMethodNotAllowed), nil
	}
	var p payload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return status(http.StatusBadRequest), nil
	}
	if claims != nil && !claims.matches(p) {
		st.log.Warn("webhook JWT does not match its payload (issuer or room); rejected")
		return status(http.StatusUnauthorized), nil
	}
	msg := p.Item.Message
	var from sender
	// Only a person typing in the room is a reply: not other events, not
	// notifications (ours included), not the plugin's own user.
	if p.Event != "room_message" || (msg.Type != "" && msg.Type != "message") ||
		json.Unmarshal(msg.From, &from) != nil || from.ID == 0 ||
		(st.cfg.BotUserID != 0 && from.ID == st.cfg.BotUserID) {
		return status(http.StatusNoContent), nil
	}
	if !st.sameRoom(p.Item.Room.ID, p.Item.Room.Name) {
		st.log.Warn("webhook from another room ignored", "room_id", p.Item.Room.ID)
		return status(http.StatusNoContent), nil
	}
	verdict, number, text := st.matcher.parse(msg.Message)
	switch {
	case verdict == ignore:
		return status(http.StatusNoContent), nil
	case verdict == malformed, text == "" && msg.File == nil:
		return notice("gray", st.usage("To answer a Telegram conversation, start your message with its handle")), nil
	}
	switch cv, kind := parseCommand(text); {
	case cv == badCommand || (cv == command && msg.File != nil):
		word := strings.Fields(text)[0]
		lead := "Unknown command " + word
		if cv == command || commands[strings.ToLower(word)] != "" {
			lead = word + " stands alone after the handle: send an answer first, then the command"
		}
		return notice("gray", st.usage(lead+". To answer a Telegram conversation, start your message with its handle")), nil
	case cv == command:
		return c.act(ctx, st, sdk.Action{Kind: kind, ThreadRef: []byte(strconv.FormatInt(number, 10)), ExternalID: msg.ID, Agent: from.Name}, number)
	}
	r := sdk.Reply{
		ThreadRef:  []byte(strconv.FormatInt(number, 10)),
		ExternalID: msg.ID,
		Author:     from.Name,
		Text:       text,
		Format:     sdk.FormatPlain,
	}
	if f := msg.File; f != nil && f.URL != "" {
		r.Attachments = []sdk.ReplyAttachment{{Ref: f.URL, Name: f.Name, Size: f.Size}}
	}
	if st.host == nil {
		// No callback (a Describe-only or test run): the host commits
		// what the response carries.
		return sdk.WebhookResponse{Status: http.StatusNoContent, Replies: []sdk.Reply{r}}, nil
	}
	if _, err := st.host.PostReply(ctx, r); err != nil {
		if sdk.IsPermanent(err) {
			st.log.Info("reply to an unknown conversation", "handle", number)
			return notice("red", st.usage(fmt.Sprintf("No Telegram conversation #%d here. Use the handle shown in the conversation's notifications", number))), nil
		}
		return sdk.WebhookResponse{}, err
	}
	return status(http.StatusNoContent), nil
}

// act reports an agent's "#42 /close" to the host before HipChat gets its
// answer, so a handle the host does not know is explained in the room. A
// successful action needs no answer: the host's notice of the change comes
// back to this room too ("#42 closed by Grace Hopper"), as does its
// explanation of an action that changed nothing.
func (c *Channel) act(ctx context.Context, st *state, a sdk.Action, number int64) (sdk.WebhookResponse, error) {
	if st.host == nil {
		// No callback (a Describe-only or test run): the host applies
		// what the response carries.
		return sdk.WebhookResponse{Status: http.StatusNoContent, Actions: []sdk.Action{a}}, nil
	}
	if _, err := st.host.PostAction(ctx, a); err != nil {
		if sdk.IsPermanent(err) {
			// The plugin sends only known kinds by thread ref, so the
			// host refuses only a handle it has no conversation for.
			st.log.Info("lifecycle command refused", "handle", number, "command", string(a.Kind), "error", err)
			return notice("red", st.usage(fmt.Sprintf("No Telegram conversation #%d here to %s. Use the handle shown in the conversation's notifications", number, a.Kind))), nil
		}
		return sdk.WebhookResponse{}, err
	}
	return status(http.StatusNoContent), nil
}

// usage ends a help text with the reply syntax and the commands.
func (st *state) usage(lead string) string {
	s := format.EscapeHTML(lead) + ": <code>#42 your answer</code>"
	if st.cfg.BotMention != "" {
		s += " or <code>@" + format.EscapeHTML(st.cfg.BotMention) + " #42 your answer</code>"
	}
	return s + ". Commands: <code>#42 /claim</code>, <code>#42 /unclaim</code>, <code>#42 /close</code>, <code>#42 /reopen</code>."
}

// sameRoom reports whether the webhook's room is the configured one.
func (st *state) sameRoom(id int64, name string) bool {
	if id == 0 && name == "" {
		return true // payloads from some servers omit the room
	}
	if n, err := strconv.ParseInt(st.cfg.Room, 10, 64); err == nil {
		return n == id
	}
	return strings.EqualFold(st.cfg.Room, name)
}

// pathSecretOK compares the path with "/<secret>" in constant time.
func pathSecretOK(path, secret string) bool {
	want := "/" + secret
	return subtle.ConstantTimeCompare([]byte(strings.TrimSuffix(path, "/")), []byte(want)) == 1
}

// bearerJWT finds the JWT HipChat puts on add-on webhooks: in
// "Authorization: JWT <token>" (API reference) or ?signed_request= (the
// developer guide).
func bearerJWT(req sdk.WebhookRequest) string {
	if a := req.HeaderValue("Authorization"); len(a) > 4 && strings.EqualFold(a[:4], "JWT ") {
		return strings.TrimSpace(a[4:])
	}
	if q, err := url.ParseQuery(req.RawQuery); err == nil {
		return q.Get("signed_request")
	}
	return ""
}

// hipchatClaims are the claims of a webhook JWT.
type hipchatClaims struct {
	jwt.RegisteredClaims
	Context struct {
		RoomID json.Number `json:"room_id"`
	} `json:"context"`
}

// verifyJWT checks an HS256 token keyed with the add-on's OAuth secret and
// its times: exp and iat are required, exp must not have passed, iat must
// be at most jwtMaxAge old and not in the future (jwtLeeway of skew on
// each).
func (c *Channel) verifyJWT(token, secret string) (*hipchatClaims, error) {
	var claims hipchatClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithLeeway(jwtLeeway), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(c.opts.Now),
		// One token, one spelling: the spare bits of a segment's last
		// base64 character must be zero.
		jwt.WithStrictDecoding())
	if err != nil {
		return nil, err
	}
	// golang-jwt checks that iat is not in the future but neither requires
	// it nor bounds its age.
	if claims.IssuedAt == nil {
		return nil, errors.New("token has no iat claim")
	}
	if age := c.opts.Now().Sub(claims.IssuedAt.Time); age > jwtMaxAge+jwtLeeway {
		return nil, fmt.Errorf("token was issued %s ago, more than %s", age.Round(time.Second), jwtMaxAge)
	}
	return &claims, nil
}

// matches checks the JWT was issued for this payload: the issuer is the
// payload's OAuth client and the context's room is its room. The JWT does
// not hash the body, so this binds the two as far as HipChat allows.
func (cl *hipchatClaims) matches(p payload) bool {
	if cl.Issuer == "" || cl.Issuer != p.OAuthClientID {
		return false
	}
	if cl.Context.RoomID != "" && p.Item.Room.ID != 0 {
		return string(cl.Context.RoomID) == strconv.FormatInt(p.Item.Room.ID, 10)
	}
	return true
}

func status(code int) sdk.WebhookResponse { return sdk.WebhookResponse{Status: code} }

// notice answers with a notification HipChat posts into the room.
func notice(color, html string) sdk.WebhookResponse {
	body, _ := json.Marshal(map[string]any{"message": html, "message_format": "html", "color": color, "notify": false})
	return sdk.WebhookResponse{
		Status: http.StatusOK,
		Header: map[string][]string{"Content-Type": {"application/json"}},
		Body:   body,
	}
}
