package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Slack's limits on a response_url: a few uses within half an hour.
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

// ResponseURLPost is one request the app made to a click's response_url.
type ResponseURLPost struct {
	// URL is the response_url used.
	URL string
	// Body is the JSON the app sent.
	Body []byte
	// Status is what the fake answered.
	Status int
	Time   time.Time
}

type responseTarget struct {
	channel, ts string
	secret      string
	uses        int
	expires     time.Time
}

// SetInteractivityURL sets the Interactivity Request URL. Until it is set,
// interactivity payloads go to the Events API URL ([Fake.SetEventsURL]),
// as Parley serves both at /hooks/<channel>.
func (f *Fake) SetInteractivityURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.interactivityTo = u
}

// AgentClick clicks the button with actionID on message ts as user and
// sends the block_actions payload the way Slack does: over Socket Mode as
// an interactive envelope once a client opened it, else as a signed POST
// of application/x-www-form-urlencoded "payload=<JSON>" to the
// interactivity URL, one attempt with a 3 s timeout and no retry (Slack
// shows the user an error instead). It fails when the message or button
// does not exist or the user is unknown.
func (f *Fake) AgentClick(ctx context.Context, channel, ts, user, actionID string) (Delivery, error) {
	payload, err := f.blockActions(channel, ts, user, actionID)
	if err != nil {
		return Delivery{}, err
	}
	return f.SendInteraction(ctx, payload)
}

// SendInteraction sends any interactivity payload (marshalled to JSON) in
// order with events, as [Fake.AgentClick] does; tests use it for payloads
// no real click would produce.
func (f *Fake) SendInteraction(ctx context.Context, payload any) (Delivery, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return Delivery{}, err
	}
	return f.await(ctx, f.enqueue(queuedEvent{kind: KindInteractive, body: body}))
}

// SendInteractionWithBadSignature posts payload as an interactivity
// request signed with the wrong secret and returns the answer's status.
func (f *Fake) SendInteractionWithBadSignature(_ context.Context, payload any) (int, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	u := f.eventsTo
	if f.interactivityTo != "" {
		u = f.interactivityTo
	}
	f.mu.Unlock()
	if u == "" {
		return 0, fmt.Errorf("slackfake: no interactivity URL set")
	}
	status, _, _, err := f.postAs(u, "application/x-www-form-urlencoded", formBody(body), 0, time.Now(), "not-the-signing-secret")
	return status, err
}

// ResponseURLPosts returns what the app sent to response_urls, oldest
// first.
func (f *Fake) ResponseURLPosts() []ResponseURLPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ResponseURLPost(nil), f.responseURLs...)
}

func formBody(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// deliverInteraction posts one signed interactivity request.
func (f *Fake) deliverInteraction(u string, payload []byte) Delivery {
	body := formBody(payload)
	d := Delivery{Body: body}
	status, _, lat, err := f.postAs(u, "application/x-www-form-urlencoded", body, 0, time.Now(), SigningSecret)
	a := Attempt{Status: status, Latency: lat}
	if err != nil {
		a.Err = err.Error()
	}
	d.Attempts = append(d.Attempts, a)
	return d
}

// blockActions builds the block_actions payload of a click, with the
// fields Slack sends for a button in a message.
func (f *Fake) blockActions(channel, ts, user, actionID string) (obj, error) {
	f.mu.Lock()
	c, ok := f.channels[channel]
	var m *Message
	if ok {
		m = c.find(ts)
	}
	u, uok := f.users[user]
	switch {
	case m == nil:
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: no message %s in %s", ts, channel)
	case !uok:
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: no user %s", user)
	}
	cp := copyMessage(m)
	name := u.Name
	chName := c.Name
	f.mu.Unlock()

	msg := f.messageEvent(&cp)
	blocks, _ := msg["blocks"].([]any)
	button, blockID := findButton(blocks, actionID)
	if button == nil {
		return nil, fmt.Errorf("slackfake: no button %q on message %s", actionID, ts)
	}
	f.mu.Lock()
	f.actionSeq++
	seq := f.actionSeq
	respID := fmt.Sprintf("%d", 7000000000+seq)
	secret := fmt.Sprintf("fake%06d", seq)
	f.respTargets[respID] = &responseTarget{channel: channel, ts: ts, secret: secret, expires: time.Now().Add(responseURLTTL)}
	f.mu.Unlock()
	delete(msg, "channel")
	delete(msg, "event_ts")
	delete(msg, "channel_type")
	now := time.Now()
	action := obj{"action_id": actionID, "block_id": blockID, "type": "button", "text": button["text"],
		"action_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)}
	if v, ok := button["value"]; ok {
		action["value"] = v
	}
	if s, ok := button["style"]; ok {
		action["style"] = s
	}
	container := obj{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false}
	if cp.ThreadTS != "" {
		container["thread_ts"] = cp.ThreadTS
	}
	return obj{
		"type": "block_actions", "token": "legacy-verification-token", "api_app_id": AppID,
		"user":       obj{"id": user, "username": name, "name": name, "team_id": TeamID},
		"team":       obj{"id": TeamID, "domain": "acme"},
		"enterprise": nil, "is_enterprise_install": false,
		"container":    container,
		"channel":      obj{"id": channel, "name": chName},
		"message":      msg,
		"state":        obj{"values": obj{}},
		"trigger_id":   fmt.Sprintf("%d.%s.%08x", 1000000+seq, strings.TrimPrefix(TeamID, "T"), seq*2654435761),
		"response_url": fmt.Sprintf("%s/actions/%s/%s/%s", f.srv.URL, TeamID, respID, secret),
		"actions":      []obj{action},
	}, nil
}

// serveResponseURL answers a click's response_url: a JSON body whose
// replace_original updates the message (as chat.update would),
// delete_original deletes it, and otherwise response_type "in_channel"
// posts a new message while the default "ephemeral" one is only recorded
// (nobody else would see it). A URL is good for 5 uses within 30 minutes;
// later it answers 404 with expired_url or used_url.
func (f *Fake) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	status, answer := f.respond(r.PathValue("id"), r.PathValue("secret"), body)
	f.mu.Lock()
	f.responseURLs = append(f.responseURLs, ResponseURLPost{URL: f.srv.URL + r.URL.Path, Body: body, Status: status, Time: time.Now()})
	f.mu.Unlock()
	writeJSON(w, status, answer)
}

func (f *Fake) respond(id, secret string, body []byte) (int, obj) {
	f.mu.Lock()
	t := f.respTargets[id]
	switch {
	case t == nil || t.secret != secret || time.Now().After(t.expires):
		f.mu.Unlock()
		return http.StatusNotFound, obj{"ok": false, "error": "expired_url"}
	case t.uses >= responseURLUses:
		f.mu.Unlock()
		return http.StatusNotFound, obj{"ok": false, "error": "used_url"}
	}
	t.uses++
	tok := f.tokens[BotToken]
	f.mu.Unlock()

	var in struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ReplaceOriginal any             `json:"replace_original"`
		DeleteOriginal  any             `json:"delete_original"`
		ResponseType    string          `json:"response_type"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if json.Unmarshal(body, &in) != nil {
		return http.StatusBadRequest, obj{"ok": false, "error": "invalid_payload"}
	}
	args := map[string]string{"channel": t.channel, "text": in.Text}
	if len(in.Blocks) > 0 && string(in.Blocks) != "null" {
		args["blocks"] = string(in.Blocks)
	}
	var code string
	switch {
	case truthy(in.DeleteOriginal):
		_, code = f.chatDelete(tok, map[string]string{"channel": t.channel, "ts": t.ts})
	case truthy(in.ReplaceOriginal):
		args["ts"] = t.ts
		_, code = f.chatUpdate(tok, args)
	case in.ResponseType == "in_channel":
		if in.ThreadTS != "" {
			args["thread_ts"] = in.ThreadTS
		}
		_, code = f.postMessage(tok, args)
	}
	if code != "" {
		return http.StatusBadRequest, obj{"ok": false, "error": code}
	}
	return http.StatusOK, obj{"ok": true}
}

// truthy reads a JSON flag Slack accepts as true or "true".
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}
