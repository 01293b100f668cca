package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Ack is one envelope acknowledgement a Socket Mode client sent.
type Ack struct {
	EnvelopeID string
	Time       time.Time
}

type envelope struct {
	id      string
	kind    string // envelope type: KindEvent or KindInteractive
	body    []byte // the event_callback or interactivity payload
	attempt int
}

// socketConn is one client websocket; gorilla allows one writer at a time.
type socketConn struct {
	ws *websocket.Conn
	wm sync.Mutex
}

func (c *socketConn) write(v any) error {
	c.wm.Lock()
	defer c.wm.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

type socketState struct {
	mu       sync.Mutex
	used     bool // a client opened Socket Mode: events go there, not over HTTP
	seq      int
	tickets  map[string]bool
	conns    map[*socketConn]bool
	pending  map[string]*envelope // sent, not acked yet
	order    []string             // pending ids in send order
	acks     []Ack
	connects int
}

func (s *socketState) init() {
	s.tickets = map[string]bool{}
	s.conns = map[*socketConn]bool{}
	s.pending = map[string]*envelope{}
}

func (s *socketState) active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// send records an envelope and writes it to one connected client, if any;
// unacked events (not interactions) are redelivered when a client
// (re)connects.
func (s *socketState) send(kind string, body []byte) string {
	s.mu.Lock()
	s.seq++
	env := &envelope{id: fmt.Sprintf("env-%06d", s.seq), kind: kind, body: body}
	s.pending[env.id] = env
	s.order = append(s.order, env.id)
	var conn *socketConn
	for c := range s.conns {
		conn = c
		break
	}
	s.mu.Unlock()
	if conn != nil {
		_ = conn.write(envelopeJSON(env))
	}
	return env.id
}

func envelopeJSON(e *envelope) obj {
	reason := ""
	if e.attempt > 0 {
		reason = "timeout"
	}
	// block_actions take no response payload (unlike slash commands and
	// view submissions), so accepts_response_payload is false for both
	// kinds the fake sends.
	return obj{"envelope_id": e.id, "type": e.kind, "accepts_response_payload": false,
		"retry_attempt": e.attempt, "retry_reason": reason, "payload": json.RawMessage(e.body)}
}

func (s *socketState) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.ws.Close()
	}
}

// Acks returns the Socket Mode acknowledgements received, oldest first.
func (f *Fake) Acks() []Ack {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	return append([]Ack(nil), f.socket.acks...)
}

// Acked reports whether the app acknowledged the Socket Mode envelope id.
func (f *Fake) Acked(envelopeID string) bool {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	for _, a := range f.socket.acks {
		if a.EnvelopeID == envelopeID {
			return true
		}
	}
	return false
}

// Unacked returns the ids of envelopes sent but not acknowledged yet.
func (f *Fake) Unacked() []string {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	var out []string
	for _, id := range f.socket.order {
		if _, ok := f.socket.pending[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// SocketConnections reports how many Socket Mode connections were opened
// so far, and how many are open now.
func (f *Fake) SocketConnections() (total, open int) {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	return f.socket.connects, len(f.socket.conns)
}

// DropSocket cuts every Socket Mode connection without a close frame, as a
// network failure would; clients must reconnect.
func (f *Fake) DropSocket() {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	for c := range f.socket.conns {
		_ = c.ws.NetConn().Close()
		delete(f.socket.conns, c)
	}
}

// DisconnectSocket sends {"type":"disconnect","reason":reason} to every
// client, as Slack does before refreshing a connection.
func (f *Fake) DisconnectSocket(reason string) {
	f.socket.mu.Lock()
	conns := make([]*socketConn, 0, len(f.socket.conns))
	for c := range f.socket.conns {
		conns = append(conns, c)
	}
	f.socket.mu.Unlock()
	for _, c := range conns {
		_ = c.write(obj{"type": "disconnect", "reason": reason, "debug_info": obj{"host": "applink-fake"}})
	}
}

func (f *Fake) connectionsOpen(_ *token, _ map[string]string) (any, string) {
	s := &f.socket
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used = true
	s.seq++
	ticket := fmt.Sprintf("ticket-%06d", s.seq)
	s.tickets[ticket] = true
	ws := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return obj{"url": ws}, ""
}

// serveSocket is the Socket Mode websocket: one-time ticket, hello, pings,
// envelopes out and acks in.
func (f *Fake) serveSocket(w http.ResponseWriter, r *http.Request) {
	s := &f.socket
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[ticket]
	delete(s.tickets, ticket) // a URL is good for one connection
	s.mu.Unlock()
	if !ok {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	// slack-go dials with Origin: https://api.slack.com, which gorilla's
	// default same-origin check would refuse.
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &socketConn{ws: ws}
	if err := c.write(obj{"type": "hello", "num_connections": 1, "connection_info": obj{"app_id": AppID},
		"debug_info": obj{"host": "applink-fake", "build_number": 1, "approximate_connection_time": 3600}}); err != nil {
		_ = ws.Close()
		return
	}
	s.mu.Lock()
	s.conns[c] = true
	s.connects++
	var redeliver []*envelope
	for _, id := range s.order {
		// Slack redelivers events, not interactions: a click the app did
		// not acknowledge shows the user an error instead.
		if e, ok := s.pending[id]; ok && e.kind == KindEvent {
			e.attempt++
			redeliver = append(redeliver, e)
		}
	}
	s.mu.Unlock()
	for _, e := range redeliver {
		_ = c.write(envelopeJSON(e))
	}

	stop := make(chan struct{})
	go f.pingLoop(c, stop)
	defer func() {
		close(stop)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = ws.Close()
	}()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if len(data) >= 20*1024 || json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue // Slack silently drops oversized or malformed acks
		}
		s.mu.Lock()
		if _, ok := s.pending[ack.EnvelopeID]; ok {
			delete(s.pending, ack.EnvelopeID)
		}
		s.acks = append(s.acks, Ack{EnvelopeID: ack.EnvelopeID, Time: time.Now()})
		s.mu.Unlock()
	}
}

func (f *Fake) pingLoop(c *socketConn, stop <-chan struct{}) {
	t := time.NewTicker(f.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-f.done:
			return
		case <-t.C:
			c.wm.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
			c.wm.Unlock()
			if err != nil {
				return
			}
		}
	}
}
