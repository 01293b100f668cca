package hipchatfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTFault makes the fake sign webhooks wrongly, to test that receivers
// reject them.
type JWTFault int

// The JWT faults.
const (
	JWTOK JWTFault = iota
	// JWTExpired signs a token whose exp lies in the past.
	JWTExpired
	// JWTBadSignature signs with a secret other than the integration's.
	JWTBadSignature
	// JWTWrongIssuer sets iss to another client id than oauth_client_id.
	JWTWrongIssuer
	// JWTMissing sends no token at all.
	JWTMissing
	// JWTStale signs a token issued an hour ago that has not expired yet:
	// a captured token replayed later.
	JWTStale
)

// JWTMode says how webhooks with authentication "jwt" are signed.
type JWTMode struct {
	// InQuery sends the token as ?signed_request= instead of in
	// "Authorization: JWT <token>".
	InQuery bool
	Fault   JWTFault
}

// SetJWTMode changes how later webhook deliveries are signed.
func (s *Server) SetJWTMode(m JWTMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwt = m
}

// Delivery is one webhook POST the fake made, with the receiver's answer.
type Delivery struct {
	WebhookID int64
	Event     string
	URL       string
	Body      []byte
	// Status and Response are the receiver's answer; Err is set when the
	// request failed.
	Status   int
	Response []byte
	Err      string
}

// Message is what an agent types into a room.
type Message struct {
	// UserID is the author, the default agent when zero.
	UserID int64
	Text   string
	// File, when set, is shared with the message (Text is its caption).
	File *File
}

// SendRoomMessage posts a message into a room as a user, as if typed in a
// HipChat client: it is appended to the history, and every room_message
// webhook of the room whose pattern matches is delivered before this
// returns. The deliveries made are returned.
func (s *Server) SendRoomMessage(ctx context.Context, room int64, m Message) (HistoryItem, []Delivery, error) {
	s.mu.Lock()
	_, ok := s.rooms[room]
	if m.UserID == 0 {
		m.UserID = s.agent
	}
	_, userOK := s.users[m.UserID]
	before := len(s.deliveries)
	s.mu.Unlock()
	if !ok {
		return HistoryItem{}, nil, fmt.Errorf("hipchatfake: no room %d", room)
	}
	if !userOK {
		return HistoryItem{}, nil, fmt.Errorf("hipchatfake: no user %d", m.UserID)
	}
	item := s.say(ctx, room, m.UserID, m.Text, m.File)
	s.mu.Lock()
	defer s.mu.Unlock()
	return item, append([]Delivery(nil), s.deliveries[before:]...), nil
}

// say appends a user's message (and its file) to a room and fires the
// room_message webhooks.
func (s *Server) say(ctx context.Context, room, userID int64, text string, f *File) HistoryItem {
	s.mu.Lock()
	u := *s.users[userID]
	item := HistoryItem{ID: uuid(), Type: "message", Date: s.nowLocked(), Message: text, MessageFormat: "text", FromUser: &u}
	if f != nil {
		cp := *f
		id := randomHex(24)
		cp.Size = int64(len(cp.Data))
		if cp.ContentType == "" {
			cp.ContentType = "application/octet-stream"
		}
		cp.URL = s.url + "/files/" + id + "/" + url.PathEscape(cp.Name)
		s.files[id] = &cp
		item.File = &cp
	}
	s.history[room] = append(s.history[room], item)
	s.mu.Unlock()
	s.fire(ctx, room, "room_message", item, 0)
	return item
}

// notify appends a notification and fires room_notification webhooks.
// depth stops a receiver that answers notifications with notifications
// from looping forever.
func (s *Server) notify(ctx context.Context, room int64, item HistoryItem, depth int) {
	item.ID, item.Type = uuid(), "notification"
	s.mu.Lock()
	item.Date = s.nowLocked()
	s.history[room] = append(s.history[room], item)
	s.mu.Unlock()
	if depth < 2 {
		s.fire(ctx, room, "room_notification", item, depth+1)
	}
}

// fire delivers an event to each matching webhook of the room, in id order.
func (s *Server) fire(ctx context.Context, room int64, event string, item HistoryItem, depth int) {
	var hooks []Webhook
	for _, wh := range s.Webhooks(room) {
		if wh.Event != event || (wh.re != nil && !wh.re.MatchString(item.Message)) {
			continue
		}
		hooks = append(hooks, wh)
	}
	for _, wh := range hooks {
		d := s.deliver(ctx, room, wh, item)
		s.mu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.mu.Unlock()
		// A JSON notification in the answer is posted into the room, as
		// HipChat did for webhook responses.
		if d.Err == "" && d.Status/100 == 2 && len(bytes.TrimSpace(d.Response)) > 0 {
			var n struct {
				Message       string `json:"message"`
				MessageFormat string `json:"message_format"`
				Color         string `json:"color"`
				Notify        bool   `json:"notify"`
			}
			if json.Unmarshal(d.Response, &n) == nil && validateNotification(n.Message, n.MessageFormat, n.Color, "") == "" {
				if n.MessageFormat == "" {
					n.MessageFormat = "html"
				}
				if n.Color == "" {
					n.Color = "yellow"
				}
				s.notify(ctx, room, HistoryItem{Message: n.Message, MessageFormat: n.MessageFormat, Color: n.Color, Notify: n.Notify, From: wh.Name}, depth)
			}
		}
	}
}

func (s *Server) deliver(ctx context.Context, room int64, wh Webhook, item HistoryItem) Delivery {
	s.mu.Lock()
	rm := *s.rooms[room]
	mode := s.jwt
	now := s.nowLocked()
	s.mu.Unlock()
	payload := map[string]any{
		"event":           wh.Event,
		"item":            map[string]any{"message": s.itemJSON(item), "room": s.roomJSON(&rm)},
		"oauth_client_id": s.oauth.id,
		"webhook_id":      wh.ID,
	}
	body, _ := json.Marshal(payload)
	d := Delivery{WebhookID: wh.ID, Event: wh.Event, URL: wh.URL, Body: body}
	target := wh.URL
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HipChat.com")
	if wh.Authentication == "jwt" && mode.Fault != JWTMissing {
		sub := ""
		if item.FromUser != nil {
			sub = strconv.FormatInt(item.FromUser.ID, 10)
		}
		tok := s.signJWT(now, sub, room, mode.Fault)
		if mode.InQuery {
			q := req.URL.Query()
			q.Set("signed_request", tok)
			req.URL.RawQuery = q.Encode()
		} else {
			req.Header.Set("Authorization", "JWT "+tok)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	defer resp.Body.Close()
	d.Status = resp.StatusCode
	d.Response, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return d
}

// signJWT makes the token HipChat put on add-on webhooks: HS256 keyed with
// the installation's OAuth secret, iss = the OAuth client id.
func (s *Server) signJWT(now time.Time, sub string, room int64, fault JWTFault) string {
	claims := jwt.MapClaims{
		"iss": s.oauth.id, "sub": sub, "iat": now.Unix(), "exp": now.Add(s.opts.JWTTTL).Unix(),
		"jti":     randomHex(20),
		"context": map[string]any{"room_id": room, "user_tz": "UTC"},
	}
	key := []byte(s.oauth.secret)
	switch fault {
	case JWTExpired:
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	case JWTStale:
		claims["iat"] = now.Add(-time.Hour).Unix()
		claims["exp"] = now.Add(time.Hour).Unix()
	case JWTBadSignature:
		key = []byte("not-the-secret")
	case JWTWrongIssuer:
		claims["iss"] = uuid()
	}
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	return tok
}

// itemJSON is a history item as HipChat serialises it: a user's message
// has an object "from", a notification a plain string label.
func (s *Server) itemJSON(h HistoryItem) map[string]any {
	m := map[string]any{"id": h.ID, "type": h.Type, "date": formatDate(h.Date), "message": h.Message,
		"message_format": h.MessageFormat, "mentions": []any{}}
	if h.FromUser != nil {
		m["from"] = map[string]any{"id": h.FromUser.ID, "mention_name": h.FromUser.MentionName, "name": h.FromUser.Name,
			"version": "00000000", "links": map[string]string{"self": s.url + "/v2/user/" + strconv.FormatInt(h.FromUser.ID, 10)}}
	} else {
		m["from"] = h.From
		m["color"] = h.Color
	}
	if h.File != nil {
		m["file"] = map[string]any{"name": h.File.Name, "size": h.File.Size, "url": h.File.URL, "thumb_url": h.File.URL}
	}
	return m
}

// RoomMessagePayload posts a message into a room like [Server.SendRoomMessage]
// but, instead of delivering webhooks, returns the room_message body
// HipChat would send, for tests that call a channel's HandleWebhook
// directly.
func (s *Server) RoomMessagePayload(room int64, m Message) ([]byte, error) {
	s.mu.Lock()
	rm, ok := s.rooms[room]
	if m.UserID == 0 {
		m.UserID = s.agent
	}
	u, userOK := s.users[m.UserID]
	s.mu.Unlock()
	if !ok || !userOK {
		return nil, fmt.Errorf("hipchatfake: no room %d or user %d", room, m.UserID)
	}
	s.mu.Lock()
	cu := *u
	item := HistoryItem{ID: uuid(), Type: "message", Date: s.nowLocked(), Message: m.Text, MessageFormat: "text", FromUser: &cu}
	s.history[room] = append(s.history[room], item)
	r := *rm
	s.mu.Unlock()
	return json.Marshal(map[string]any{
		"event":           "room_message",
		"item":            map[string]any{"message": s.itemJSON(item), "room": s.roomJSON(&r)},
		"oauth_client_id": s.oauth.id,
		"webhook_id":      0,
	})
}
