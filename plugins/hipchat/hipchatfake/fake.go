package hipchatfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TokenKind is the kind of a HipChat API token.
type TokenKind int

// The token kinds and what they may do.
const (
	// PersonalToken acts as a user with the scopes chosen at creation.
	PersonalToken TokenKind = iota
	// RoomNotificationToken may only send notifications to its one room.
	RoomNotificationToken
	// AddonToken acts as an add-on; it expires.
	AddonToken
)

// All scopes HipChat knows.
var allScopes = []string{"send_notification", "send_message", "view_messages", "view_room", "view_group", "admin_room", "manage_rooms", "admin_group"}

// Options configure a [Server]. The zero value is a useful server with one
// room, one agent, a personal token with every scope and a room
// notification token.
type Options struct {
	// RoomName is the default room's name, "Support" when empty.
	RoomName string
	// RateLimit overrides the per-token limit of the 5-minute window
	// (default 100 for personal and room tokens, 500 for add-on tokens).
	RateLimit int
	// FloodLimit overrides the per-room message limit per minute (30).
	FloodLimit int
	// JWTTTL is how long webhook JWTs are valid (default 5 minutes).
	JWTTTL time.Duration
}

// Room is a HipChat room.
type Room struct {
	ID   int64
	Name string
}

// User is a HipChat user.
type User struct {
	ID          int64
	Name        string
	MentionName string
	Email       string
}

// File is a file shared in a room.
type File struct {
	Name        string
	Size        int64
	URL         string
	ContentType string
	Data        []byte
}

// HistoryItem is one entry of a room's history.
type HistoryItem struct {
	ID   string
	Type string // "message" or "notification"
	Date time.Time
	// Message is the text as posted (HTML for html notifications).
	Message       string
	MessageFormat string
	Color         string
	Notify        bool
	// From is the label of a notification; FromUser the author of a message.
	From     string
	FromUser *User
	File     *File
}

// Webhook is a registered room webhook.
type Webhook struct {
	ID             int64
	RoomID         int64
	URL            string
	Event          string
	Pattern        string
	Name           string
	Authentication string
	re             *regexp.Regexp
}

// Request is one API request the fake received.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	Status   int
}

type token struct {
	kind    TokenKind
	room    int64 // RoomNotificationToken only
	user    int64 // PersonalToken only
	scopes  map[string]bool
	expires time.Time // AddonToken only
}

type window struct {
	start time.Time
	used  int
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	opts  Options
	srv   *http.Server
	ln    net.Listener
	url   string
	oauth struct{ id, secret string }

	mu         sync.Mutex
	offset     time.Duration // added to the wall clock by Advance
	nextID     int64
	rooms      map[int64]*Room
	users      map[int64]*User
	tokens     map[string]*token
	history    map[int64][]HistoryItem
	hooks      map[int64]*Webhook
	files      map[string]*File
	rate       map[string]*window
	flood      map[int64]*window
	requests   []Request
	deliveries []Delivery
	faults     []*Fault
	jwt        JWTMode
	defRoom    int64
	agent      int64
	personal   string
	roomToken  string
}

// New starts a fake on 127.0.0.1 at a random port.
func New(opts Options) (*Server, error) {
	if opts.RoomName == "" {
		opts.RoomName = "Support"
	}
	if opts.JWTTTL <= 0 {
		opts.JWTTTL = 5 * time.Minute
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hipchatfake: listen: %w", err)
	}
	s := &Server{opts: opts, ln: ln, url: "http://" + ln.Addr().String(), nextID: 2390200}
	s.oauth.id = uuid()
	s.oauth.secret = randomHex(20)
	s.resetLocked()
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// resetLocked puts the server back to its initial state (the tokens, room
// and agent keep their values so clients stay configured).
func (s *Server) resetLocked() {
	s.rooms = map[int64]*Room{}
	s.users = map[int64]*User{}
	s.history = map[int64][]HistoryItem{}
	s.hooks = map[int64]*Webhook{}
	s.files = map[string]*File{}
	s.rate = map[string]*window{}
	s.flood = map[int64]*window{}
	s.requests, s.deliveries, s.faults = nil, nil, nil
	s.jwt = JWTMode{}
	s.offset = 0
	if s.tokens == nil {
		s.tokens = map[string]*token{}
		s.defRoom = s.id()
		s.agent = s.id()
		s.personal = randomHex(20)
		s.roomToken = randomHex(20)
	}
	s.rooms[s.defRoom] = &Room{ID: s.defRoom, Name: s.opts.RoomName}
	s.users[s.agent] = &User{ID: s.agent, Name: "Anna Agent", MentionName: "AnnaAgent", Email: "anna@example.com"}
	for k := range s.tokens {
		if k != s.personal && k != s.roomToken {
			delete(s.tokens, k)
		}
	}
	s.tokens[s.personal] = &token{kind: PersonalToken, user: s.agent, scopes: scopeSet(allScopes...)}
	s.tokens[s.roomToken] = &token{kind: RoomNotificationToken, room: s.defRoom, scopes: scopeSet("send_notification")}
}

// Reset forgets everything that happened: history, webhooks, files,
// recorded requests and deliveries, faults, rate windows, clock offset.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// URL is the server's base URL, without "/v2" (what the channel's
// server_url takes).
func (s *Server) URL() string { return s.url }

// Token is a personal token of the agent with every scope.
func (s *Server) Token() string { return s.personal }

// RoomToken is a room notification token for the default room: it may
// only send notifications there.
func (s *Server) RoomToken() string { return s.roomToken }

// RoomID is the default room's id.
func (s *Server) RoomID() int64 { return s.defRoom }

// RoomName is the default room's name.
func (s *Server) RoomName() string { return s.opts.RoomName }

// AgentID is the default agent's user id.
func (s *Server) AgentID() int64 { return s.agent }

// OAuthClientID is the integration's OAuth client id: webhook payloads
// carry it as oauth_client_id and JWTs as iss.
func (s *Server) OAuthClientID() string { return s.oauth.id }

// OAuthSecret is the integration's OAuth secret, the key of webhook JWTs.
func (s *Server) OAuthSecret() string { return s.oauth.secret }

// AddRoom creates a room and returns it.
func (s *Server) AddRoom(name string) Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Room{ID: s.id(), Name: name}
	s.rooms[r.ID] = r
	return *r
}

// RenameRoom renames a room (clients addressing it by name then get 404).
func (s *Server) RenameRoom(id int64, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[id]
	if !ok {
		return fmt.Errorf("hipchatfake: no room %d", id)
	}
	r.Name = name
	return nil
}

// AddUser creates a user and returns it.
func (s *Server) AddUser(name, mentionName string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.id(), Name: name, MentionName: mentionName, Email: strings.ToLower(mentionName) + "@example.com"}
	s.users[u.ID] = u
	return *u
}

// IssueToken creates a token. room binds a RoomNotificationToken; an
// AddonToken expires after ttl (zero: one hour).
func (s *Server) IssueToken(kind TokenKind, room int64, ttl time.Duration, scopes ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := randomHex(20)
	t := &token{kind: kind, room: room, user: s.agent, scopes: scopeSet(scopes...)}
	if kind == AddonToken {
		if ttl <= 0 {
			ttl = time.Hour
		}
		t.expires = s.nowLocked().Add(ttl)
	}
	s.tokens[v] = t
	return v
}

// ExpireToken makes a token invalid from now on.
func (s *Server) ExpireToken(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[v]; ok {
		t.kind = AddonToken
		t.expires = s.nowLocked().Add(-time.Second)
	}
}

// Advance moves the fake's clock forward (rate windows, JWT times).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Now is the fake's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time { return time.Now().Add(s.offset) }

// History returns a copy of a room's history, oldest first.
func (s *Server) History(room int64) []HistoryItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]HistoryItem(nil), s.history[room]...)
}

// Notifications returns the notifications posted to a room, oldest first.
func (s *Server) Notifications(room int64) []HistoryItem {
	var out []HistoryItem
	for _, h := range s.History(room) {
		if h.Type == "notification" {
			out = append(out, h)
		}
	}
	return out
}

// Webhooks returns a room's webhooks.
func (s *Server) Webhooks(room int64) []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Webhook
	for _, w := range s.hooks {
		if w.RoomID == room {
			out = append(out, *w)
		}
	}
	sortWebhooks(out)
	return out
}

// Requests returns the API requests received so far (not /_fake ones).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Deliveries returns the webhook deliveries made so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

// roomLocked finds a room by numeric id or by name (case-insensitive).
func (s *Server) roomLocked(idOrName string) (*Room, bool) {
	if id, err := strconv.ParseInt(idOrName, 10, 64); err == nil {
		r, ok := s.rooms[id]
		return r, ok
	}
	for _, r := range s.rooms {
		if strings.EqualFold(r.Name, idOrName) {
			return r, true
		}
	}
	return nil, false
}

// userLocked finds a user by id, e-mail or @mention.
func (s *Server) userLocked(ref string) (*User, bool) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		u, ok := s.users[id]
		return u, ok
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Email, ref) || strings.EqualFold("@"+u.MentionName, ref) {
			return u, true
		}
	}
	return nil, false
}

func scopeSet(scopes ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range scopes {
		m[s] = true
	}
	return m
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
