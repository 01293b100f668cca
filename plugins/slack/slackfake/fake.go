package slackfake

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// Default fixture identities. Tests may rely on them; [New] options change
// the channel set, scopes and timing, not these.
const (
	TeamID        = "T0001"
	BotUserID     = "U0BOT"
	BotID         = "B0BOT"
	AppID         = "A0APP"
	AgentUserID   = "U0AGENT"
	ChannelID     = "C0SUP"
	ChannelName   = "support"
	BotToken      = "xoxb-fake-bot-token"
	AppToken      = "xapp-fake-app-token"
	SigningSecret = "fake-signing-secret"
)

// BotScopes is the grant of the default bot token: everything the Parley
// Slack app manifest asks for, plus reactions:read and reactions:write for
// claiming and closing conversations with reactions.
var BotScopes = []string{
	"chat:write", "chat:write.customize", "channels:history", "groups:history",
	"channels:read", "groups:read", "channels:join", "users:read", "files:read", "files:write",
	"reactions:read", "reactions:write",
}

// Channel is a conversation in the fake workspace.
type Channel struct {
	ID        string
	Name      string
	Private   bool
	Archived  bool
	BotMember bool
}

// User is a member of the fake workspace: a human, or with IsBot another app's bot user.
type User struct {
	ID          string
	Name        string
	RealName    string
	DisplayName string
	// Image72 is profile.image_72 in users.info; empty gives a fixed
	// https://avatars.example/<id>.png.
	Image72 string
	// IsBot makes the user another app's bot user (users.info is_bot).
	IsBot bool
}

// Message is what the fake stored for one chat.postMessage or agent action.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	User     string
	BotID    string
	Text     string
	// Blocks is the raw JSON of the blocks argument, empty when none.
	Blocks string
	// Username, IconURL and IconEmoji are the chat:write.customize
	// overrides the post used; empty when none or without that scope.
	Username  string
	IconURL   string
	IconEmoji string
	Files     []string
	Edited    bool
	// Reactions on the message, in the order first added.
	Reactions []Reaction
	// Args are the arguments the call carried, as Slack parsed them.
	Args map[string]string
}

// File is an uploaded file.
type File struct {
	ID       string
	Name     string
	Title    string
	MIMEType string
	Content  []byte
	User     string
	Channel  string
	ThreadTS string
	Complete bool
	External bool
}

// Call is one Web API request the fake received.
type Call struct {
	Method string
	Token  string
	Args   map[string]string
	Header http.Header
	Time   time.Time
}

type token struct {
	kind    string // "bot" or "app"
	scopes  []string
	revoked string // error code once revoked: "token_revoked" or "account_inactive"
}

type injection struct {
	status     int    // HTTP status; 0 means 200 with ok:false
	code       string // Slack error code
	retryAfter int    // seconds; < 0 omits the header
	remaining  int
}

// Option configures a [Fake].
type Option func(*Fake)

// WithBotScopes replaces the grant of the bot token.
func WithBotScopes(scopes ...string) Option {
	return func(f *Fake) { f.tokens[BotToken].scopes = slices.Clone(scopes) }
}

// WithChannel adds a channel to the workspace.
func WithChannel(c Channel) Option {
	return func(f *Fake) { f.channels[c.ID] = &channelState{Channel: c} }
}

// WithPingInterval sets how often the Socket Mode server pings clients
// (default 5 s; Slack pings well under the 30 s clients wait for).
func WithPingInterval(d time.Duration) Option { return func(f *Fake) { f.pingInterval = d } }

// WithRetryDelays sets the Events API retry schedule (Slack: 0, 1 min,
// 5 min); tests compress it.
func WithRetryDelays(d ...time.Duration) Option {
	return func(f *Fake) { f.retryDelays = slices.Clone(d) }
}

// Fake is a Slack workspace on 127.0.0.1: Web API under /api/, uploads,
// private file downloads, Socket Mode and a signed Events API sender, all
// from one origin so slack-go sends its token to it.
//
// It is safe for concurrent use. Close it when done.
type Fake struct {
	srv *httptest.Server
	// ctx lives as long as the fake; outgoing event requests derive from it.
	ctx    context.Context
	cancel context.CancelFunc

	pingInterval time.Duration
	retryDelays  []time.Duration

	mu       sync.Mutex
	tokens   map[string]*token
	channels map[string]*channelState
	users    map[string]*User
	files    map[string]*File
	fileSeq  int
	// uploadLen is the announced length of each upload; the bytes received
	// must match it, as on Slack.
	uploadLen map[string]int
	clock     int64 // seconds part of the next ts
	calls     []Call
	inject    map[string][]*injection
	eventsTo  string // Events API request URL; empty means none
	// interactivityTo is the Interactivity Request URL; empty means
	// eventsTo (Parley serves both at /hooks/<channel>).
	interactivityTo string
	// responseURLs are the response_url POSTs the app made, oldest first.
	responseURLs []ResponseURLPost
	respTargets  map[string]*responseTarget
	actionSeq    int

	deliveries []Delivery
	eventSeq   int

	socket socketState
	events chan queuedEvent
	done   chan struct{}
	wg     sync.WaitGroup
}

type channelState struct {
	Channel
	messages []*Message
	// deleted holds messages removed by chat.delete or an agent, oldest
	// deletion first.
	deleted []*Message
	seq     int
}

// New starts a fake workspace with team T0001, the bot U0BOT (bot B0BOT,
// app A0APP) holding [BotToken] with [BotScopes], the app-level token
// [AppToken], the agent U0AGENT ("Alice Agent"), and the public channel
// #support (C0SUP) the bot is a member of.
func New(opts ...Option) *Fake {
	f := &Fake{
		pingInterval: 5 * time.Second,
		retryDelays:  []time.Duration{0, time.Minute, 5 * time.Minute},
		tokens: map[string]*token{
			BotToken: {kind: "bot", scopes: slices.Clone(BotScopes)},
			AppToken: {kind: "app", scopes: []string{"connections:write"}},
		},
		channels: map[string]*channelState{
			ChannelID: {Channel: Channel{ID: ChannelID, Name: ChannelName, BotMember: true}},
		},
		users: map[string]*User{
			AgentUserID: {ID: AgentUserID, Name: "alice", RealName: "Alice Agent", DisplayName: "Alice"},
			BotUserID:   {ID: BotUserID, Name: "parley", RealName: "Parley"},
		},
		files:       map[string]*File{},
		uploadLen:   map[string]int{},
		respTargets: map[string]*responseTarget{},
		clock:       1700000000,
		inject:      map[string][]*injection{},
		events:      make(chan queuedEvent, 256),
		done:        make(chan struct{}),
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.socket.init()
	for _, o := range opts {
		o(f)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", f.serveAPI)
	mux.HandleFunc("POST /upload/v1/{id}", f.serveUpload)
	mux.HandleFunc("GET /files-pri/{teamfile}/{name}", f.serveFile)
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Sign in to Slack</body></html>"))
	})
	mux.HandleFunc("/link/", f.serveSocket)
	mux.HandleFunc("POST /actions/{team}/{id}/{secret}", f.serveResponseURL)
	f.srv = httptest.NewServer(mux)
	f.wg.Add(1)
	go f.runEvents()
	return f
}

// Close stops the server, its websockets and the event sender.
func (f *Fake) Close() {
	select {
	case <-f.done:
		return
	default:
	}
	close(f.done)
	f.cancel()
	f.socket.closeAll()
	f.srv.CloseClientConnections()
	f.srv.Close()
	f.wg.Wait()
}

// URL is the fake's origin, e.g. http://127.0.0.1:41234.
func (f *Fake) URL() string { return f.srv.URL }

// APIURL is the Web API base to give slack-go (and the plugin's api_url).
func (f *Fake) APIURL() string { return f.srv.URL + "/api/" }

// AddChannel adds or replaces a channel.
func (f *Fake) AddChannel(c Channel) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[c.ID] = &channelState{Channel: c}
}

// AddUser adds or replaces a user.
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uu := u
	f.users[u.ID] = &uu
}

// ArchiveChannel archives a channel: posting to it fails with is_archived.
func (f *Fake) ArchiveChannel(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.channels[id]; ok {
		c.Archived = true
	}
}

// RevokeToken makes every later call with tok fail with token_revoked.
func (f *Fake) RevokeToken(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.tokens[tok]; ok {
		t.revoked = "token_revoked"
	}
}

// Inject429 makes the next n calls of method answer HTTP 429 with body
// {"ok":false,"error":"ratelimited"} and Retry-After: retryAfter seconds
// (no header when retryAfter < 0).
func (f *Fake) Inject429(method string, n, retryAfter int) {
	f.addInjection(method, &injection{status: http.StatusTooManyRequests, code: "ratelimited", retryAfter: retryAfter, remaining: n})
}

// InjectError makes the next n calls of method answer HTTP 200 with
// {"ok":false,"error":code}.
func (f *Fake) InjectError(method, code string, n int) {
	f.addInjection(method, &injection{code: code, remaining: n})
}

// InjectHTTP makes the next n calls of method answer with a bare HTTP
// status and an HTML body, as a failing proxy would.
func (f *Fake) InjectHTTP(method string, status, n int) {
	f.addInjection(method, &injection{status: status, remaining: n})
}

func (f *Fake) addInjection(method string, in *injection) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject[method] = append(f.inject[method], in)
}

// Messages returns the messages in a channel, oldest first, thread replies
// included.
func (f *Fake) Messages(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.channels[channel]
	if !ok {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		out = append(out, copyMessage(m))
	}
	return out
}

// Roots returns the top-level messages of a channel, oldest first.
func (f *Fake) Roots(channel string) []Message {
	var out []Message
	for _, m := range f.Messages(channel) {
		if m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns the replies in the thread rooted at ts, oldest first.
func (f *Fake) Thread(channel, ts string) []Message {
	var out []Message
	for _, m := range f.Messages(channel) {
		if m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// Files returns every uploaded file, completed or not.
func (f *Fake) Files() []File {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]File, 0, len(f.files))
	for i := 1; i <= f.fileSeq; i++ {
		if fl, ok := f.files[fileID(i)]; ok {
			c := *fl
			c.Content = slices.Clone(fl.Content)
			out = append(out, c)
		}
	}
	return out
}

// Calls returns the Web API calls received, optionally only of the named
// methods.
func (f *Fake) Calls(methods ...string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor polls cond until it is true or timeout passes, and reports
// whether it became true.
func (f *Fake) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func copyMessage(m *Message) Message {
	c := *m
	c.Files = slices.Clone(m.Files)
	c.Reactions = make([]Reaction, len(m.Reactions))
	for i, r := range m.Reactions {
		c.Reactions[i] = Reaction{Name: r.Name, Users: slices.Clone(r.Users)}
	}
	if len(m.Reactions) == 0 {
		c.Reactions = nil
	}
	c.Args = make(map[string]string, len(m.Args))
	for k, v := range m.Args {
		c.Args[k] = v
	}
	return c
}

func fileID(n int) string { return fmt.Sprintf("F%06d", n) }

// nextTS allocates a unique, increasing message ts ("seconds.micros").
// Callers hold f.mu.
func (f *Fake) nextTS(c *channelState) string {
	c.seq++
	f.clock++
	return fmt.Sprintf("%d.%06d", f.clock, c.seq)
}
