package helpscoutfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parley-dev/parley/sdk/signature"
)

// Reply is an agent's answer to add with [Server.AgentReply].
type Reply struct {
	// User is the agent; Anna Agent (id 17) when nil.
	User *User
	HTML string
	// Files are attached to the reply (ID is assigned).
	Files []File
	// State is "published" (default), "draft" or "hidden".
	State string
	// ScheduledFor marks a reply whose sending is scheduled.
	ScheduledFor *time.Time
}

// WebhookResult is how the receiver answered a webhook.
type WebhookResult struct {
	Status int
	Body   []byte
}

// SetWebhook sets where SendWebhook posts and the secret it signs with.
func (s *Server) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL, s.webhookSecret = url, secret
}

// AgentReply adds a reply thread (or a note when note is true) to a
// conversation, as an agent in the Help Scout UI would, and returns its id.
// It sends no webhook: follow it with SendWebhook, or use [Server.Reply].
func (s *Server) AgentReply(convID int64, r Reply, note bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[convID]
	if !ok {
		return 0, fmt.Errorf("no conversation %d", convID)
	}
	u := r.User
	if u == nil {
		anna := Anna
		u = &anna
	}
	t := Thread{ID: s.id(), Type: "reply", State: r.State, Text: r.HTML, CustomerID: c.CustomerID, User: u,
		CreatedAt: s.tick(), ScheduledFor: r.ScheduledFor}
	if note {
		t.Type, t.CustomerID = "note", 0
	}
	if t.State == "" {
		t.State = "published"
	}
	for _, f := range r.Files {
		f.ID = s.id()
		t.Files = append(t.Files, f)
	}
	c.Threads = append(c.Threads, t)
	return t.ID, nil
}

// Payload is the body Help Scout sends for a conversation event: the v2
// conversation, with every thread embedded newest first when withThreads.
func (s *Server) Payload(convID int64, withThreads bool) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[convID]
	if !ok {
		return nil, fmt.Errorf("no conversation %d", convID)
	}
	return s.conversationJSON(c, withThreads), nil
}

// Reply adds an agent reply (or note) and sends its event
// (convo.agent.reply.created or convo.note.created) with the full
// conversation as payload.
func (s *Server) Reply(ctx context.Context, convID int64, r Reply, note bool) (int64, WebhookResult, error) {
	id, err := s.AgentReply(convID, r, note)
	if err != nil {
		return 0, WebhookResult{}, err
	}
	payload, err := s.Payload(convID, true)
	if err != nil {
		return 0, WebhookResult{}, err
	}
	event := "convo.agent.reply.created"
	if note {
		event = "convo.note.created"
	}
	res, err := s.SendWebhook(ctx, event, payload)
	return id, res, err
}

// ChangeStatus sets a conversation's status as agent by (Anna when nil)
// would in the Help Scout UI, and sends the convo.status event.
func (s *Server) ChangeStatus(ctx context.Context, convID int64, status string, by *User) (WebhookResult, error) {
	s.mu.Lock()
	c, ok := s.convs[convID]
	if ok {
		if by == nil {
			by = &Anna
		}
		u := *by
		s.setStatusLocked(c, status, &u)
	}
	s.mu.Unlock()
	if !ok {
		return WebhookResult{}, fmt.Errorf("no conversation %d", convID)
	}
	return s.SendEvent(ctx, "convo.status", convID)
}

// Assign assigns a conversation to user (nil: unassigns it), as an agent
// would in the UI, and sends the convo.assigned event.
func (s *Server) Assign(ctx context.Context, convID int64, user *User) (WebhookResult, error) {
	s.mu.Lock()
	c, ok := s.convs[convID]
	if ok {
		c.Assignee = nil
		if user != nil {
			u := *user
			c.Assignee = &u
		}
		c.UserUpdatedAt = s.tick()
	}
	s.mu.Unlock()
	if !ok {
		return WebhookResult{}, fmt.Errorf("no conversation %d", convID)
	}
	return s.SendEvent(ctx, "convo.assigned", convID)
}

// SendEvent sends a conversation event (convo.status, convo.assigned, ...)
// with the conversation as it is now, threads embedded, as payload. Real
// Help Scout also sends convo.status when the API changed the status: a
// test plays that echo with SendEvent after the integration's PATCH.
func (s *Server) SendEvent(ctx context.Context, event string, convID int64) (WebhookResult, error) {
	payload, err := s.Payload(convID, true)
	if err != nil {
		return WebhookResult{}, err
	}
	return s.SendWebhook(ctx, event, payload)
}

// Sign returns the X-HelpScout-Signature of body under the webhook secret:
// base64(HMAC-SHA1(secret, body)).
func (s *Server) Sign(body []byte) string {
	s.mu.Lock()
	secret := s.webhookSecret
	s.mu.Unlock()
	return Sign(secret, body)
}

// Sign returns base64(HMAC-SHA1(secret, body)), Help Scout's webhook
// signature.
func Sign(secret string, body []byte) string {
	return signature.SignHMACSHA1Base64([]byte(secret), body)
}

// SendWebhook posts event with payload (encoded as Help Scout does, with
// escaped slashes and non-ASCII) to the webhook URL, signed.
func (s *Server) SendWebhook(ctx context.Context, event string, payload any) (WebhookResult, error) {
	body, h, err := s.SignedWebhook(event, payload)
	if err != nil {
		return WebhookResult{}, err
	}
	return s.SendRawWebhook(ctx, event, body, h.Get("X-HelpScout-Signature"))
}

// SignedWebhook builds the body and headers Help Scout would send for
// event, for tests that hand the request to a channel directly.
func (s *Server) SignedWebhook(event string, payload any) ([]byte, http.Header, error) {
	body, err := helpScoutJSON(payload)
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-HelpScout-Event", event)
	h.Set("X-HelpScout-Signature", s.Sign(body))
	return body, h, nil
}

// SendRawWebhook posts body as is with the given signature ("" for none),
// for tests of tampered or unsigned requests.
func (s *Server) SendRawWebhook(ctx context.Context, event string, body []byte, signature string) (WebhookResult, error) {
	s.mu.Lock()
	url := s.webhookURL
	s.mu.Unlock()
	if url == "" {
		return WebhookResult{}, errors.New("no webhook URL set")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return WebhookResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-HelpScout-Event", event)
	if signature != "" {
		req.Header.Set("X-HelpScout-Signature", signature)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return WebhookResult{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return WebhookResult{Status: resp.StatusCode, Body: b}, nil
}
