package helpscoutfake

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a [Server]. Zero values pick the defaults noted.
type Options struct {
	// AppID and AppSecret are the accepted client credentials
	// ("fake-app-id", "fake-app-secret").
	AppID, AppSecret string
	// Mailboxes are seeded; one mailbox 85 "Support" when empty.
	Mailboxes []Mailbox
	// TokenLifetime is the expires_in of issued tokens (48 h, as Help Scout).
	TokenLifetime time.Duration
	// ThreadLimit is the most threads a conversation holds (100); adding to
	// one with ThreadLimit-1 or more answers 412.
	ThreadLimit int
	// RateLimit is the per-minute budget, writes costing 2 (400).
	RateLimit int
	// WebhookURL and WebhookSecret are where and how SendWebhook posts; they
	// can be set later with SetWebhook.
	WebhookURL, WebhookSecret string
	// HTTPClient sends webhooks (a client with a 10 s timeout).
	HTTPClient *http.Client
}

// Fault makes the fake answer matching requests with an error.
type Fault struct {
	// Method matches the request method; any when empty.
	Method string
	// Path is a regular expression matched against the URL path; any when
	// empty.
	Path string
	// Times is how many requests the fault hits (1 when 0).
	Times int
	// Status is the answer's status code.
	Status int
	// Header is added to the answer, e.g. X-RateLimit-Retry-After.
	Header http.Header
	// Body is the answer's body.
	Body string
	// AfterCommit runs the real handler first and then answers the fault,
	// as a server that saved the write but failed to say so.
	AfterCommit bool
	// Drop closes the connection without an answer.
	Drop bool
	// Delay holds the answer back (or until the client gives up); with
	// Status 0 the request is then served normally.
	Delay time.Duration

	re *regexp.Regexp
}

// Server is a fake Help Scout Mailbox API 2.0 on 127.0.0.1, speaking the
// real wire format: OAuth2 tokens, mailboxes, customers, conversations,
// threads, attachments, HAL answers, vnd.error validation errors, rate
// limit headers and 429s, merged (301/404) and full (412) conversations.
// It also plays Help Scout's webhook sender. Safe for concurrent use.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu            sync.Mutex
	tokens        map[string]time.Time // token -> expiry
	tokenRequests int
	mailboxes     map[int64]Mailbox
	customers     map[int64]*Customer
	convs         map[int64]*Conversation
	order         []int64
	nextID        int64
	clock         time.Time
	faults        []*Fault
	requests      []Request
	window        []spend
	webhookURL    string
	webhookSecret string
}

type spend struct {
	at   time.Time
	cost int
}

// New starts a fake on a random 127.0.0.1 port. Close it when done.
func New(opts Options) (*Server, error) {
	if opts.AppID == "" {
		opts.AppID = "fake-app-id"
	}
	if opts.AppSecret == "" {
		opts.AppSecret = "fake-app-secret"
	}
	if len(opts.Mailboxes) == 0 {
		opts.Mailboxes = []Mailbox{{ID: 85, Name: "Support"}}
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 48 * time.Hour
	}
	if opts.ThreadLimit <= 0 {
		opts.ThreadLimit = 100
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 400
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{
		opts:          opts,
		tokens:        map[string]time.Time{},
		mailboxes:     map[int64]Mailbox{},
		customers:     map[int64]*Customer{},
		convs:         map[int64]*Conversation{},
		nextID:        1000,
		clock:         time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC),
		webhookURL:    opts.WebhookURL,
		webhookSecret: opts.WebhookSecret,
	}
	for _, m := range opts.Mailboxes {
		s.mailboxes[m.ID] = m
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv = httptest.NewUnstartedServer(s.routes())
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	return s, nil
}

// URL is the API root to configure as api_url, with a trailing slash.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AppID is the accepted client id.
func (s *Server) AppID() string { return s.opts.AppID }

// AppSecret is the accepted client secret.
func (s *Server) AppSecret() string { return s.opts.AppSecret }

// MailboxID is the first seeded mailbox.
func (s *Server) MailboxID() int64 { return s.opts.Mailboxes[0].ID }

// ExpireTokens invalidates every token issued so far: the next call with
// one answers 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// TokenRequests counts successful and failed token requests.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Inject adds a fault; faults are matched in the order added.
func (s *Server) Inject(f Fault) error {
	if f.Path != "" {
		re, err := regexp.Compile(f.Path)
		if err != nil {
			return err
		}
		f.re = re
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return nil
}

// SetThreadLimit changes the thread cap of conversations.
func (s *Server) SetThreadLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.ThreadLimit = n
}

// SetRateLimit changes the per-minute budget and clears the window.
func (s *Server) SetRateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RateLimit, s.window = n, nil
}

// Merge merges conversation from into to, as an agent would: writes to
// from answer 404, reads answer 301 to to.
func (s *Server) Merge(from, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.convs[from]; ok {
		c.MergedInto = to
	}
}

// SetStatus sets a conversation's status ("active", "pending", "closed").
func (s *Server) SetStatus(id int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.convs[id]; ok {
		s.setStatusLocked(c, status, &Anna)
	}
}

// setStatusLocked changes a conversation's status as by, keeping the
// closedBy/closedAt fields Help Scout shows consistent.
func (s *Server) setStatusLocked(c *Conversation, status string, by *User) {
	now := s.tick()
	c.UserUpdatedAt = now
	if status == "closed" && c.Status != "closed" {
		c.ClosedBy, c.ClosedAt = by, now
	} else if status != "closed" {
		c.ClosedBy, c.ClosedAt = nil, time.Time{}
	}
	c.Status = status
}

// Requests returns every request received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Conversations returns a copy of every conversation, oldest first.
func (s *Server) Conversations() []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Conversation, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.convs[id].clone())
	}
	return out
}

// Conversation returns a copy of one conversation.
func (s *Server) Conversation(id int64) (Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		return Conversation{}, false
	}
	return c.clone(), true
}

// Customers returns a copy of every customer.
func (s *Server) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Customer, 0, len(s.customers))
	for id := int64(0); id <= s.nextID; id++ {
		if c, ok := s.customers[id]; ok {
			out = append(out, *c)
		}
	}
	return out
}

func (c *Conversation) clone() Conversation {
	out := *c
	out.Tags = append([]string(nil), c.Tags...)
	out.Threads = append([]Thread(nil), c.Threads...)
	out.StatusChanges = append([]string(nil), c.StatusChanges...)
	return out
}

// id and tick must be called with mu held. Ids come from one sequence and
// times advance a second per event, so runs are deterministic and
// "newest" is never ambiguous.
func (s *Server) id() int64 { s.nextID++; return s.nextID }

func (s *Server) tick() time.Time { s.clock = s.clock.Add(time.Second); return s.clock }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/oauth2/token", s.handleToken)
	api := http.NewServeMux()
	api.HandleFunc("GET /v2/mailboxes", s.handleMailboxes)
	api.HandleFunc("GET /v2/mailboxes/{id}", s.handleMailbox)
	api.HandleFunc("POST /v2/customers", s.handleCreateCustomer)
	api.HandleFunc("GET /v2/customers/{id}", s.handleCustomer)
	api.HandleFunc("POST /v2/customers/{id}/{kind}", s.handleCustomerHandle)
	api.HandleFunc("POST /v2/conversations", s.handleCreateConversation)
	api.HandleFunc("GET /v2/conversations/{id}", s.handleConversation)
	api.HandleFunc("PATCH /v2/conversations/{id}", s.handleUpdateConversation)
	api.HandleFunc("GET /v2/conversations/{id}/threads", s.handleThreads)
	api.HandleFunc("POST /v2/conversations/{id}/{kind}", s.handleAddThread)
	api.HandleFunc("GET /v2/conversations/{id}/attachments/{aid}/data", s.handleAttachmentData)
	api.HandleFunc("POST /v2/conversations/{id}/threads/{tid}/attachments", s.handleAddAttachment)
	mux.Handle("/v2/", s.authed(api))
	return s.record(s.faulty(s.limited(mux)))
}

// record keeps every request for Requests.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), Body: body, Time: time.Now(),
		})
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && (f.re == nil || f.re.MatchString(r.URL.Path)) {
			f.Times--
			if f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return nil
}

func (s *Server) faulty(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.takeFault(r)
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.AfterCommit {
			next.ServeHTTP(httptest.NewRecorder(), r)
		}
		if f.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
		}
		if f.Status == 0 {
			if !f.AfterCommit {
				next.ServeHTTP(w, r)
			}
			return
		}
		for k, vs := range f.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		if f.Body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
	})
}

// limited applies Help Scout's per-minute budget, writes costing 2.
func (s *Server) limited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cost := 2
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			cost = 1
		}
		now := time.Now()
		s.mu.Lock()
		kept := s.window[:0]
		used := 0
		for _, sp := range s.window {
			if now.Sub(sp.at) < time.Minute {
				kept = append(kept, sp)
				used += sp.cost
			}
		}
		s.window = kept
		limit := s.opts.RateLimit
		over := used+cost > limit
		var wait time.Duration
		if over && len(kept) > 0 {
			wait = time.Minute - now.Sub(kept[0].at)
		} else {
			s.window = append(s.window, spend{at: now, cost: cost})
			used += cost
		}
		s.mu.Unlock()
		w.Header().Set("X-RateLimit-Limit-Minute", strconv.Itoa(limit))
		w.Header().Set("X-RateLimit-Remaining-Minute", strconv.Itoa(max(limit-used, 0)))
		if over {
			w.Header().Set("X-RateLimit-Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "API rate limit exceeded"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || time.Now().After(exp) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var id, secret, grant string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			GrantType    string `json:"grant_type"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := decodeJSON(r, &body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
			return
		}
		id, secret, grant = body.ClientID, body.ClientSecret, body.GrantType
	} else {
		_ = r.ParseForm()
		id, secret, grant = r.Form.Get("client_id"), r.Form.Get("client_secret"), r.Form.Get("grant_type")
	}
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	if grant != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if id != s.opts.AppID || secret != s.opts.AppSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.opts.TokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "bearer", "access_token": tok, "expires_in": int64(s.opts.TokenLifetime / time.Second),
	})
}
