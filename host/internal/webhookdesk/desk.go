// Package webhookdesk is a tiny desk that speaks the webhook plugin's wire
// format: it receives the signed POSTs of parley-channel-webhook, keeps them
// per conversation, and sends agent replies as signed POSTs to the host's
// /hooks/<channel>. End-to-end tests, the benchmark and `parley demo` use
// it as "the support desk".
package webhookdesk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parley-dev/parley/sdk/signature"
)

// Attachment is a file as the webhook plugin describes it.
type Attachment struct {
	Name     string `json:"name"`
	MIMEType string `json:"mime_type"`
	Size     int64  `json:"size"`
	URL      string `json:"url"`
	TooLarge bool   `json:"too_large"`
}

// Message is one delivered message, exactly as the webhook plugin sends it.
type Message struct {
	ID          string       `json:"id"`
	Kind        string       `json:"kind"`
	Text        string       `json:"text"`
	Time        string       `json:"time"`
	Attachments []Attachment `json:"attachments"`
	// Notice is set on kind "notice".
	Notice *Notice `json:"notice,omitempty"`
	// OutsideHours: the customer wrote outside the bot's business hours.
	OutsideHours bool `json:"outside_hours,omitempty"`
}

// Agent is an agent as the webhook plugin names one.
type Agent struct {
	Name string `json:"name"`
}

// Notice is a notice's machine-readable part, as the webhook plugin sends it.
type Notice struct {
	Code          string `json:"code"`
	Agent         *Agent `json:"agent,omitempty"`
	Reason        string `json:"reason,omitempty"`
	State         string `json:"state,omitempty"`
	Score         int    `json:"score,omitempty"`
	Scale         int    `json:"scale,omitempty"`
	SourceChannel string `json:"source_channel,omitempty"`
	ActionID      string `json:"action_id,omitempty"`
	ReplyID       string `json:"reply_id,omitempty"`
	// Emoji, Removed and MessageID describe reaction and deletion notices;
	// Channels a transfer's destinations.
	Emoji     string   `json:"emoji,omitempty"`
	Removed   bool     `json:"removed,omitempty"`
	MessageID string   `json:"message_id,omitempty"`
	Channels  []string `json:"channels,omitempty"`
}

// AgentName is the notice's agent, "" when none.
func (n *Notice) AgentName() string {
	if n == nil || n.Agent == nil {
		return ""
	}
	return n.Agent.Name
}

// Previous names a conversation's predecessor.
type Previous struct {
	ID        string `json:"id"`
	Number    int64  `json:"number"`
	ThreadRef string `json:"thread_ref,omitempty"`
}

// Conversation is the conversation object of a delivery.
type Conversation struct {
	ID        string    `json:"id"`
	Number    int64     `json:"number"`
	State     string    `json:"state"`
	ClaimedBy string    `json:"claimed_by,omitempty"`
	Previous  *Previous `json:"previous,omitempty"`
}

// Contact is the Telegram user, as the webhook plugin sends it.
type Contact struct {
	TelegramUserID int64  `json:"telegram_user_id"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Username       string `json:"username"`
	LanguageCode   string `json:"language_code"`
	PhotoURL       string `json:"photo_url,omitempty"`
}

// BusinessAccount is the owner of a Telegram Business account.
type BusinessAccount struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// Business names the Telegram Business account of a delivery.
type Business struct {
	ConnectionID string          `json:"connection_id"`
	Account      BusinessAccount `json:"account"`
}

// Delivery is one POST the desk received.
type Delivery struct {
	ConversationID string `json:"conversation_id"`
	// Bot is the Parley bot the customer wrote to.
	Bot string `json:"bot"`
	// Business is set for a conversation with a Telegram Business account.
	Business     *Business    `json:"business,omitempty"`
	Conversation Conversation `json:"conversation"`
	Message      Message      `json:"message"`
	Contact      Contact      `json:"contact"`
	// Received is when the desk got it.
	Received time.Time `json:"-"`
}

// Desk is the receiving end of the webhook plugin.
type Desk struct {
	secret []byte
	srv    *http.Server
	ln     net.Listener
	client *http.Client

	mu        sync.Mutex
	cond      *sync.Cond
	received  []Delivery
	failNext  int
	failWith  int
	badSigs   int
	onDeliver func(Delivery)
}

// New returns a desk that checks signatures with secret; call Start.
func New(secret string) *Desk {
	d := &Desk{secret: []byte(secret), client: &http.Client{Timeout: 30 * time.Second}}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// Start listens on addr ("127.0.0.1:0" for a random port).
func (d *Desk) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	d.ln = ln
	d.srv = &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return nil
}

// URL is where the webhook plugin should POST (its `url` config).
func (d *Desk) URL() string { return "http://" + d.ln.Addr().String() + "/inbox" }

// Close stops the desk.
func (d *Desk) Close() {
	if d.srv != nil {
		_ = d.srv.Close()
	}
	d.mu.Lock()
	d.cond.Broadcast()
	d.mu.Unlock()
}

// FailNext makes the next n deliveries answer status (500, 429, ...).
func (d *Desk) FailNext(n, status int) {
	d.mu.Lock()
	d.failNext, d.failWith = n, status
	d.mu.Unlock()
}

// OnDeliver registers a callback for every accepted delivery.
func (d *Desk) OnDeliver(f func(Delivery)) {
	d.mu.Lock()
	d.onDeliver = f
	d.mu.Unlock()
}

// ServeHTTP receives the plugin's POSTs.
func (d *Desk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if signature.VerifyHMACSHA256(d.secret, body, r.Header.Get("X-Parley-Signature")) != nil {
		d.mu.Lock()
		d.badSigs++
		d.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var del Delivery
	if err := json.Unmarshal(body, &del); err != nil {
		http.Error(w, "bad json: "+err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	if d.failNext > 0 {
		d.failNext--
		status := d.failWith
		d.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, "injected failure", status)
		return
	}
	del.Received = time.Now()
	d.received = append(d.received, del)
	cb := d.onDeliver
	d.cond.Broadcast()
	d.mu.Unlock()
	if cb != nil {
		cb(del)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"id":"desk-%s"}`, del.Message.ID)
}

// Received returns every accepted delivery, in arrival order.
func (d *Desk) Received() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery(nil), d.received...)
}

// BadSignatures counts requests rejected for their signature.
func (d *Desk) BadSignatures() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.badSigs
}

// WaitFor blocks until cond holds for the received deliveries or the
// timeout passes; it reports whether cond held.
func (d *Desk) WaitFor(timeout time.Duration, cond func([]Delivery) bool) bool {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() {
		d.mu.Lock()
		d.cond.Broadcast()
		d.mu.Unlock()
	})
	defer stop.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for !cond(d.received) {
		if time.Now().After(deadline) {
			return false
		}
		d.cond.Wait()
	}
	return true
}

// WaitCount waits until at least n deliveries arrived.
func (d *Desk) WaitCount(n int, timeout time.Duration) bool {
	return d.WaitFor(timeout, func(r []Delivery) bool { return len(r) >= n })
}

// ReplyAttachment is a file attached to an agent reply.
type ReplyAttachment struct {
	Name     string `json:"name"`
	MIMEType string `json:"mime_type"`
	URL      string `json:"url"`
}

// Reply is an agent answer in the webhook plugin's incoming format.
type Reply struct {
	ConversationID string            `json:"conversation_id"`
	ID             string            `json:"id"`
	Text           string            `json:"text"`
	Attachments    []ReplyAttachment `json:"attachments,omitempty"`
}

// SendReply POSTs a signed reply to the host's hook URL
// (<server>/hooks/<channel>) and returns the status and body.
func (d *Desk) SendReply(ctx context.Context, hookURL string, r Reply) (int, string, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return 0, "", err
	}
	return d.Post(ctx, hookURL, body, Sign(d.secret, body))
}

// Post sends body with the given signature header (tests forge it).
func (d *Desk) Post(ctx context.Context, hookURL string, body []byte, signature string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Parley-Signature", signature)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}

// Sign returns the X-Parley-Signature value for body.
func Sign(secret, body []byte) string { return signature.SignHMACSHA256(secret, body) }

// NoticeCode is the delivery's notice code, "" for a customer message.
func (d Delivery) NoticeCode() string {
	if d.Message.Notice == nil {
		return ""
	}
	return d.Message.Notice.Code
}

// Action is an agent's action in the webhook plugin's incoming format:
// Kind is "claim", "unclaim", "close", "reopen", "react", "delete",
// "typing" or "transfer".
type Action struct {
	Kind           string `json:"action"`
	ConversationID string `json:"conversation_id"`
	ID             string `json:"id,omitempty"`
	Agent          *Agent `json:"agent,omitempty"`
	// MessageID (or DeskMessageID, the desk's "desk-<message id>") and
	// Emoji are a "react" action's ("" removes it: use [Emoji] to set the
	// pointer).
	MessageID     string  `json:"message_id,omitempty"`
	DeskMessageID string  `json:"desk_message_id,omitempty"`
	Emoji         *string `json:"emoji,omitempty"`
	// ReplyID is the reply a "delete" action deletes.
	ReplyID string `json:"reply_id,omitempty"`
	// Channels are a "transfer" action's destinations.
	Channels []string `json:"channels,omitempty"`
}

// Emoji returns a pointer to e, for Action.Emoji.
func Emoji(e string) *string { return &e }

// PostAction POSTs any signed action to the host's hook URL and returns
// the status and body.
func (d *Desk) PostAction(ctx context.Context, hookURL string, a Action) (int, string, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return 0, "", err
	}
	return d.Post(ctx, hookURL, body, Sign(d.secret, body))
}

// SendAction POSTs a signed action to the host's hook URL; agent may be
// empty. It returns the status and body.
func (d *Desk) SendAction(ctx context.Context, hookURL string, kind, conversationID, id, agent string) (int, string, error) {
	a := Action{Kind: kind, ConversationID: conversationID, ID: id}
	if agent != "" {
		a.Agent = &Agent{Name: agent}
	}
	body, err := json.Marshal(a)
	if err != nil {
		return 0, "", err
	}
	return d.Post(ctx, hookURL, body, Sign(d.secret, body))
}

// Notices returns the accepted deliveries that are notices with code, in
// arrival order; every notice when code is "".
func (d *Desk) Notices(code string) []Delivery {
	var out []Delivery
	for _, del := range d.Received() {
		if c := del.NoticeCode(); c != "" && (code == "" || c == code) {
			out = append(out, del)
		}
	}
	return out
}
