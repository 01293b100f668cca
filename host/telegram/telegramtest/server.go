package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"
)

// DefaultToken is a well-formed bot token the fake accepts when Options.Token is empty.
const DefaultToken = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// tokenRE is the token syntax telego checks locally before sending anything.
var tokenRE = regexp.MustCompile(`^\d+:[\w-]{35}$`)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Token is the first bot's token; DefaultToken when empty. Must match `^\d+:[\w-]{35}$`.
	// More bots are added with Server.AddBot.
	Token string
	// Bot is what getMe answers for the first bot. Its ID defaults to the token's numeric prefix.
	Bot telego.User
	// MaxPollTimeout caps getUpdates' timeout parameter (Telegram caps it at 50 s, the default).
	MaxPollTimeout time.Duration
	// FirstUpdateID is the first update_id handed out (default 204518731; Telegram starts at a random
	// large number).
	FirstUpdateID int64
	// Now is the clock for message dates and update expiry (default time.Now).
	Now func() time.Time
	// WebhookRetryDelay is the first redelivery delay of a failed webhook POST (default 1 s, doubling).
	WebhookRetryDelay time.Duration
	// WebhookMaxRetryDelay caps the redelivery delay (default 60 s).
	WebhookMaxRetryDelay time.Duration
	// StrictWebhook makes setWebhook insist on HTTPS and ports 443, 80, 88, 8443 like the cloud API;
	// by default any http(s) URL is accepted, like a local Bot API server.
	StrictWebhook bool
	// GroupRateLimit, when positive, is how many messages per minute each bot may send into one
	// group or supergroup; more answer 429 "Too Many Requests: retry after N" with retry_after,
	// by the fake clock (Telegram's limit is about 20 per minute). 0 means no limit.
	GroupRateLimit int
	// Logger receives one debug line per call (default: discard). Tokens are never logged.
	Logger *slog.Logger
}

// Server is a fake Telegram Bot API. It is safe for concurrent use. It serves one or more bots
// (AddBot): the bot of Options is the first, and the test-side methods on Server act on it, so a
// test with one bot never needs a [Bot]. Users, groups and files are shared by all bots, as on
// Telegram; each bot has its own identity, private chats, update queue, offset, webhook, calls,
// faults and record of what it sent.
type Server struct {
	opts   Options
	log    *slog.Logger
	hs     *http.Server
	ln     net.Listener
	closed chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex // guards everything below and every Bot's state
	bots    []*Bot
	byToken map[string]*Bot
	world   world
}

// world is what all bots share: Telegram's users, groups and files.
type world struct {
	users      map[int64]telego.User
	groups     map[int64]*chat
	files      map[string]*file // by file_id
	filesPath  map[string]*file // by file_path
	nextFileNo int
	profiles   map[int64]*profile
}

// Bot is one bot token the fake serves, with its own identity, chats, updates and record. Its
// test-side methods are the same as Server's, which act on the first bot.
type Bot struct {
	srv     *Server
	opts    Options // the server's, with Token and Bot set to this bot's
	token   string
	log     *slog.Logger
	closed  chan struct{}
	wg      *sync.WaitGroup
	mu      *sync.Mutex // the server's
	revoked bool
	state   state
	methods map[string]handler // by lower-case method name
}

// New returns a Server that is not yet listening; call Start or Listen.
// It panics if Options.Token is malformed, since telego itself would refuse it.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.MaxPollTimeout <= 0 {
		opts.MaxPollTimeout = 50 * time.Second
	}
	if opts.FirstUpdateID <= 0 {
		opts.FirstUpdateID = 204518731
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WebhookRetryDelay <= 0 {
		opts.WebhookRetryDelay = time.Second
	}
	if opts.WebhookMaxRetryDelay <= 0 {
		opts.WebhookMaxRetryDelay = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Bot.FirstName == "" {
		opts.Bot.FirstName = "Parley Test Bot"
	}
	if opts.Bot.Username == "" {
		opts.Bot.Username = "parley_test_bot"
	}
	s := &Server{opts: opts, log: opts.Logger, closed: make(chan struct{}), byToken: map[string]*Bot{}}
	s.world = world{users: map[int64]telego.User{}, groups: map[int64]*chat{}, files: map[string]*file{},
		filesPath: map[string]*file{}, profiles: map[int64]*profile{}}
	s.AddBot(BotOptions{Token: opts.Token, Bot: opts.Bot})
	return s
}

// BotOptions describe one more bot for AddBot.
type BotOptions struct {
	// Token is the bot's token; when empty one is made from Bot.ID (or a free ID). Must match
	// `^\d+:[\w-]{35}$`.
	Token string
	// Bot is what getMe answers. Its ID defaults to the token's numeric prefix; FirstName and
	// Username default to "Bot <id>" and "bot<id>_bot".
	Bot telego.User
}

// AddBot makes the server accept one more bot token and returns the bot. It panics on a malformed
// token or one already served (a test bug).
func (s *Server) AddBot(o BotOptions) *Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.Token == "" {
		id := o.Bot.ID
		if id == 0 {
			id = 7000000001
			for s.botByIDLocked(id) != nil {
				id++
			}
		}
		o.Token = TokenFor(id)
	}
	if !tokenRE.MatchString(o.Token) {
		panic("telegramtest: malformed bot token (want `^\\d+:[\\w-]{35}$`)")
	}
	if s.byToken[o.Token] != nil {
		panic("telegramtest: AddBot with a token already served")
	}
	if o.Bot.ID == 0 {
		id, _ := strconv.ParseInt(o.Token[:strings.IndexByte(o.Token, ':')], 10, 64)
		o.Bot.ID = id
	}
	o.Bot.IsBot = true
	if o.Bot.FirstName == "" {
		o.Bot.FirstName = "Bot " + strconv.FormatInt(o.Bot.ID, 10)
	}
	if o.Bot.Username == "" {
		o.Bot.Username = "bot" + strconv.FormatInt(o.Bot.ID, 10) + "_bot"
	}
	opts := s.opts
	opts.Token, opts.Bot = o.Token, o.Bot
	b := &Bot{srv: s, opts: opts, token: o.Token, log: s.log, closed: s.closed, wg: &s.wg, mu: &s.mu}
	b.state.init(opts, &s.world)
	b.methods = b.handlers()
	s.bots = append(s.bots, b)
	s.byToken[o.Token] = b
	// Telegram knows bots as users too (group members, message senders).
	s.world.users[o.Bot.ID] = asSender(o.Bot)
	return b
}

// TokenFor returns a well-formed token for bot id (the secret part is fixed), for AddBot.
func TokenFor(id int64) string {
	return strconv.FormatInt(id, 10) + ":" + strings.Repeat("A", 35)
}

// Bots returns the bots the server serves, the first (Options') first.
func (s *Server) Bots() []*Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Bot(nil), s.bots...)
}

// First is the bot of Options, the one Server's test-side methods act on.
func (s *Server) First() *Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bots[0]
}

func (s *Server) first() *Bot { return s.First() }

func (s *Server) botByIDLocked(id int64) *Bot {
	for _, b := range s.bots {
		if b.opts.Bot.ID == id {
			return b
		}
	}
	return nil
}

// Start listens on a random port of 127.0.0.1.
func (s *Server) Start() error { return s.Listen("127.0.0.1:0") }

// Listen serves on addr (host:port) in the background.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("telegramtest: listen: %w", err)
	}
	s.ln = ln
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.hs.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return nil
}

// URL is the API base URL to give telego's WithAPIServer (no trailing slash).
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Token is the first bot's token.
func (s *Server) Token() string { return s.first().token }

// Token is the bot's token.
func (b *Bot) Token() string { return b.token }

// User is the bot as getMe answers it.
func (b *Bot) User() telego.User { return b.opts.Bot }

// Now is the fake's clock (Options.Now).
func (s *Server) Now() time.Time { return s.opts.Now() }

// Close stops the server, ends pending long polls and webhook delivery.
func (s *Server) Close() {
	select {
	case <-s.closed:
		return
	default:
		close(s.closed)
	}
	s.mu.Lock()
	for _, b := range s.bots {
		b.stopWebhookLocked()
	}
	s.mu.Unlock()
	if s.hs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.hs.Shutdown(ctx); err != nil {
			_ = s.hs.Close()
		}
	}
	s.wg.Wait()
}

// RevokeToken makes every call of the first bot answer 401 Unauthorized from now on, as when the
// token is revoked in @BotFather during a run.
func (s *Server) RevokeToken() { s.first().RevokeToken() }

// RevokeToken makes every call of this bot answer 401 Unauthorized from now on; other bots keep
// working.
func (b *Bot) RevokeToken() {
	b.mu.Lock()
	b.revoked = true
	b.mu.Unlock()
}

// apiError is a Bot API error answer.
type apiError struct {
	Code            int
	Description     string
	RetryAfter      int
	MigrateToChatID int64
	// HTML answers with an nginx-style HTML page instead of JSON (the cloud answers 413 and 502 so).
	HTML bool
}

func badRequest(detail string) *apiError {
	return &apiError{Code: http.StatusBadRequest, Description: "Bad Request: " + detail}
}

func forbidden(detail string) *apiError {
	return &apiError{Code: http.StatusForbidden, Description: "Forbidden: " + detail}
}

var (
	errNotFound       = &apiError{Code: http.StatusNotFound, Description: "Not Found"}
	errMethodNotFound = &apiError{Code: http.StatusNotFound, Description: "Not Found: method not found"}
	errUnauthorized   = &apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"}
)

// ServeHTTP routes /bot<token>/<method> and /file/bot<token>/<path>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/file/bot"):
		s.serveFile(w, r, strings.TrimPrefix(path, "/file/bot"))
	case strings.HasPrefix(path, "/bot"):
		s.serveMethod(w, r, strings.TrimPrefix(path, "/bot"))
	default:
		writeError(w, errNotFound)
	}
}

// splitToken splits "<token>/<rest>" and finds the bot: a malformed token is a wrong path (404),
// a well-formed unknown or revoked one is 401.
func (s *Server) splitToken(p string) (b *Bot, rest string, apiErr *apiError) {
	token, rest, ok := strings.Cut(p, "/")
	if !ok || !tokenRE.MatchString(token) {
		return nil, "", errNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byToken[token]; c != nil && !c.revoked {
		return c, strings.TrimPrefix(rest, "test/"), nil
	}
	return nil, "", errUnauthorized
}

// handler answers one Bot API method.
type handler func(ctx context.Context, req *request) (any, *apiError)

func (s *Bot) handlers() map[string]handler {
	return map[string]handler{
		"getme":                  s.getMe,
		"getupdates":             s.getUpdates,
		"setwebhook":             s.setWebhook,
		"deletewebhook":          s.deleteWebhook,
		"getwebhookinfo":         s.getWebhookInfo,
		"sendmessage":            s.sendMessage,
		"editmessagetext":        s.editMessageText,
		"sendphoto":              s.mediaSender("photo"),
		"senddocument":           s.mediaSender("document"),
		"sendaudio":              s.mediaSender("audio"),
		"sendvoice":              s.mediaSender("voice"),
		"sendvideo":              s.mediaSender("video"),
		"sendanimation":          s.mediaSender("animation"),
		"sendvideonote":          s.mediaSender("video_note"),
		"sendsticker":            s.mediaSender("sticker"),
		"sendchataction":         s.sendChatAction,
		"getfile":                s.getFile,
		"deletemessage":          s.deleteMessage,
		"answercallbackquery":    s.answerCallbackQuery,
		"editmessagereplymarkup": s.editMessageReplyMarkup,
		"setmessagereaction":     s.setMessageReaction,
		"getbusinessconnection":  s.getBusinessConnection,
		"readbusinessmessage":    s.readBusinessMessage,
		"deletebusinessmessages": s.deleteBusinessMessages,
		"getuserprofilephotos":   s.getUserProfilePhotos,
		"getchat":                s.getChat,
		"getchatmember":          s.getChatMember,
		"createforumtopic":       s.createForumTopic,
		"editforumtopic":         s.editForumTopic,
		"closeforumtopic":        s.closeForumTopic,
		"reopenforumtopic":       s.reopenForumTopic,
		"setmycommands":          s.setMyCommands,
		"getmycommands":          s.getMyCommands,
	}
}

func (srv *Server) serveMethod(w http.ResponseWriter, r *http.Request, p string) {
	s, method, apiErr := srv.splitToken(p)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	h, ok := s.methods[strings.ToLower(method)]
	if !ok {
		writeError(w, errMethodNotFound)
		return
	}
	req, apiErr := parseRequest(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	name := strings.ToLower(method)
	for _, key := range jsonParams {
		if v, ok := req.Params[key]; ok && strings.TrimSpace(v) != "" && !json.Valid([]byte(v)) {
			writeError(w, badRequest("can't parse "+key+" JSON object"))
			return
		}
	}
	s.log.Debug("telegramtest call", "method", method)
	s.countCall(name)
	if f, ok := s.takeFault(name, req.Params); ok {
		if done := s.applyFault(w, r, f); done {
			return
		}
	}
	result, apiErr := h(r.Context(), req)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if name != "getupdates" && name != "getme" { // polls would grow the log without bound
		s.mu.Lock()
		s.logRequestLocked(method, req.Params)
		s.mu.Unlock()
	}
	writeResult(w, result)
}

// jsonParams are the parameters that hold JSON objects or arrays.
var jsonParams = []string{"reply_markup", "entities", "caption_entities", "reply_parameters",
	"allowed_updates", "link_preview_options", "commands", "media", "reaction", "message_ids"}

// described is a result that also carries a description (setWebhook's "Webhook was set").
type described struct {
	result      any
	description string
}

func writeResult(w http.ResponseWriter, result any) {
	body := map[string]any{"ok": true}
	if d, ok := result.(described); ok {
		body["result"], body["description"] = d.result, d.description
	} else {
		body["result"] = result
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.HTML {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(e.Code)
		text := http.StatusText(e.Code)
		_, _ = fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n", e.Code, text, e.Code, text)
		return
	}
	body := map[string]any{"ok": false, "error_code": e.Code, "description": e.Description}
	if e.RetryAfter > 0 || e.MigrateToChatID != 0 {
		p := map[string]any{}
		if e.RetryAfter > 0 {
			p["retry_after"] = e.RetryAfter
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		if e.MigrateToChatID != 0 {
			p["migrate_to_chat_id"] = e.MigrateToChatID
		}
		body["parameters"] = p
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code)
	_ = json.NewEncoder(w).Encode(body)
}

var errClosed = errors.New("telegramtest: server closed")
