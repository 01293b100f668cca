package webhookchannel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
	"github.com/parley-dev/parley/sdk/format"
	"github.com/parley-dev/parley/sdk/signature"
)

// DeliverPayload is the JSON body POSTed to the receiver for each message.
type DeliverPayload struct {
	ConversationID string `json:"conversation_id"`
	// Bot is the name of the Parley bot the customer wrote to: "default"
	// for a one-bot host (and from hosts before bots had names).
	Bot string `json:"bot"`
	// Business is set when the customer wrote to a Telegram Business
	// account connected to the bot rather than to the bot itself.
	Business *PayloadBusiness `json:"business,omitempty"`
	// Conversation is the conversation's number and lifecycle state.
	Conversation PayloadConversation `json:"conversation"`
	Message      PayloadMessage      `json:"message"`
	Contact      PayloadContact      `json:"contact"`
}

// PayloadBusiness names the Telegram Business account a conversation
// belongs to.
type PayloadBusiness struct {
	// ConnectionID is Telegram's id of the business connection.
	ConnectionID string `json:"connection_id"`
	// Account is the Business account's owner on Telegram.
	Account PayloadBusinessAccount `json:"account"`
}

// PayloadBusinessAccount is the Telegram user who owns a Business account.
type PayloadBusinessAccount struct {
	ID int64 `json:"id"`
	// Username is without the leading "@"; empty when the account has none.
	Username string `json:"username"`
	Name     string `json:"name"`
}

// PayloadConversation is the conversation a message belongs to.
type PayloadConversation struct {
	ID string `json:"id"`
	// Number is the short handle ("#42") the host gives the conversation.
	Number int64 `json:"number"`
	// State is "open", "claimed" or "closed".
	State string `json:"state"`
	// ClaimedBy is the agent who claimed it, when claimed.
	ClaimedBy string `json:"claimed_by,omitempty"`
	// Previous is the same customer's previous conversation, closed before
	// this one started.
	Previous *PayloadPrevious `json:"previous,omitempty"`
}

// PayloadPrevious names a conversation's predecessor.
type PayloadPrevious struct {
	ID     string `json:"id"`
	Number int64  `json:"number"`
	// ThreadRef is the predecessor's thread in this channel (its
	// conversation id, for this plugin); only on the first message of the
	// new conversation.
	ThreadRef string `json:"thread_ref,omitempty"`
}

// PayloadNotice is what a notice is about, for receivers that act on it by
// code; the message text says the same in a sentence.
type PayloadNotice struct {
	// Code is one of the sdk.Notice* codes: "conversation_claimed",
	// "conversation_unclaimed", "conversation_closed",
	// "conversation_reopened", "action_ignored", "rating", "user_blocked",
	// "reply_failed", ...
	Code string `json:"code"`
	// Agent is who claimed, closed or reopened, when an agent did.
	Agent *PayloadAgent `json:"agent,omitempty"`
	// Reason is why a conversation closed: "agent", "idle", "operator" or
	// "customer".
	Reason string `json:"reason,omitempty"`
	// State is the conversation's state after the change.
	State string `json:"state,omitempty"`
	// Score of Scale is a customer's rating.
	Score int `json:"score,omitempty"`
	Scale int `json:"scale,omitempty"`
	// SourceChannel and ActionID name the desk action that caused the
	// notice: a receiver sees its own action's id come back.
	SourceChannel string `json:"source_channel,omitempty"`
	ActionID      string `json:"action_id,omitempty"`
	// ReplyID is the receiver's id of the reply a notice is about: the
	// reply that failed, the agent's reply the customer reacted to, the
	// reply that could not be deleted.
	ReplyID string `json:"reply_id,omitempty"`
	// Emoji is the reaction of a "reaction" notice; Removed says the
	// customer took it back.
	Emoji   string `json:"emoji,omitempty"`
	Removed bool   `json:"removed,omitempty"`
	// MessageID is the message.id of the customer's message a notice is
	// about: the one they reacted to or deleted.
	MessageID string `json:"message_id,omitempty"`
	// Channels are where a transferred conversation went.
	Channels []string `json:"channels,omitempty"`
}

// PayloadAgent is an agent, in notices and in incoming actions.
type PayloadAgent struct {
	Name string `json:"name"`
}

// PayloadMessage is one Telegram message (or host notice) in a
// [DeliverPayload].
type PayloadMessage struct {
	ID string `json:"id"`
	// Kind is the sdk.Kind: "text", "photo", ..., "notice".
	Kind string `json:"kind"`
	// Text is the text or caption; for other kinds the host's summary.
	Text string `json:"text"`
	// Time is RFC 3339.
	Time        string              `json:"time"`
	Attachments []PayloadAttachment `json:"attachments"`
	// Notice is set on kind "notice".
	Notice *PayloadNotice `json:"notice,omitempty"`
	// OutsideHours is true when the customer wrote outside the bot's
	// business hours.
	OutsideHours bool `json:"outside_hours,omitempty"`
}

// PayloadAttachment describes one file of a message.
type PayloadAttachment struct {
	Name     string `json:"name"`
	MIMEType string `json:"mime_type"`
	Size     int64  `json:"size"`
	// URL is a signed, expiring host link; empty when TooLarge.
	URL      string `json:"url"`
	TooLarge bool   `json:"too_large"`
}

// PayloadContact is the Telegram user.
type PayloadContact struct {
	TelegramUserID int64  `json:"telegram_user_id"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Username       string `json:"username"`
	LanguageCode   string `json:"language_code"`
	// PhotoURL is a signed, expiring host link to the profile photo; left
	// out when the user has none.
	PhotoURL string `json:"photo_url,omitempty"`
}

// DefaultBot is the bot name of a one-bot host.
const DefaultBot = "default"

// responseLimit caps how much of the receiver's answer is read.
const responseLimit = 64 << 10

// Deliver implements sdk.Channel: one signed POST per message.
func (c *Channel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	st, err := c.state.Get()
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	cfg := st.cfg
	if req.Conversation.ID == "" {
		return sdk.DeliverResponse{}, sdk.Permanent(errors.New("delivery has no conversation id"))
	}
	body, err := json.Marshal(payloadOf(req))
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(fmt.Errorf("encode message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL.String(), bytes.NewReader(body))
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(fmt.Errorf("build request: %w", stripURL(err)))
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("User-Agent", deskhttp.UserAgent(Name, c.opts.Version))
	httpReq.Header.Set(SignatureHeader, signature.SignHMACSHA256([]byte(cfg.Secret), body))
	resp, err := st.client.Do(httpReq)
	if err != nil {
		// The host retries: the receiver may be down for a moment.
		return sdk.DeliverResponse{}, fmt.Errorf("post to %s: %w", where(cfg.URL), stripURL(err))
	}
	if err := answerError(resp, where(cfg.URL)); err != nil {
		st.log.Debug("delivery refused", "message", req.Message.ID, "status", resp.StatusCode)
		return sdk.DeliverResponse{}, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, responseLimit))
	st.log.Debug("delivered", "message", req.Message.ID, "status", resp.StatusCode)
	ref := req.ThreadRef
	if len(ref) == 0 {
		ref = []byte(req.Conversation.ID)
	}
	return sdk.DeliverResponse{ThreadRef: ref, DeskMessageID: deskID(answer, req.Message.ID)}, nil
}

func payloadOf(req sdk.DeliverRequest) DeliverPayload {
	m := req.Message
	p := DeliverPayload{
		ConversationID: req.Conversation.ID,
		Bot:            req.Conversation.Bot,
		Conversation:   conversationOf(req),
		Message: PayloadMessage{
			ID: m.ID, Kind: string(m.Kind), Text: format.TextWithContext(m), Time: m.Time.UTC().Format(time.RFC3339),
			Attachments: []PayloadAttachment{}, OutsideHours: m.OutsideHours,
		},
		Contact: PayloadContact{
			TelegramUserID: req.Contact.TelegramUserID, FirstName: req.Contact.FirstName, LastName: req.Contact.LastName,
			Username: req.Contact.Username, LanguageCode: req.Contact.LanguageCode, PhotoURL: req.Contact.PhotoURL,
		},
	}
	if p.Bot == "" { // a host from before bots had names
		p.Bot = DefaultBot
	}
	if b := req.Conversation.Business; b != nil {
		p.Business = &PayloadBusiness{ConnectionID: b.ConnectionID, Account: PayloadBusinessAccount{
			ID: b.Account.ID, Username: b.Account.Username, Name: b.Account.Name,
		}}
	}
	for _, a := range m.Attachments {
		p.Message.Attachments = append(p.Message.Attachments, PayloadAttachment{
			Name: a.Name, MIMEType: a.MIMEType, Size: a.Size, URL: a.URL, TooLarge: a.TooLarge,
		})
	}
	if n := m.Notice; n != nil {
		p.Message.Notice = &PayloadNotice{
			Code: string(n.Code), Reason: n.Reason, State: string(n.State), Score: n.Score, Scale: n.Scale,
			SourceChannel: n.SourceChannel, ActionID: n.ActionExternalID, ReplyID: n.ReplyExternalID,
			Emoji: n.Emoji, Removed: n.Removed, MessageID: n.MessageID, Channels: n.Channels,
		}
		if n.Agent != "" {
			p.Message.Notice.Agent = &PayloadAgent{Name: n.Agent}
		}
	}
	return p
}

func conversationOf(req sdk.DeliverRequest) PayloadConversation {
	c := req.Conversation
	state := c.State
	if state == "" { // a host from before lifecycles
		state = sdk.StateOpen
	}
	pc := PayloadConversation{ID: c.ID, Number: c.Number, State: string(state), ClaimedBy: c.ClaimedBy}
	if c.PreviousID != "" || len(req.PreviousThreadRef) > 0 {
		pc.Previous = &PayloadPrevious{ID: c.PreviousID, Number: c.PreviousNumber, ThreadRef: string(req.PreviousThreadRef)}
	}
	return pc
}

// answerError classifies the receiver's answer with deskhttp.Check (429
// waits as asked, other 4xx will not get better by retrying, 5xx might)
// and adds the start of the body, where receivers explain a refusal. Only
// 2xx is a delivery: a 3xx left after the client's redirects is retried.
func answerError(resp *http.Response, where string) error {
	err := deskhttp.Check(resp, nil)
	var se *deskhttp.StatusError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s", err, bodyExcerpt(se.Body))
	case err != nil:
		return err
	case resp.StatusCode >= 300:
		resp.Body.Close()
		return fmt.Errorf("%s answered %s", where, resp.Status)
	}
	return nil
}

// deskID is the receiver's "id" when its answer is JSON with one (a string
// or a number), else the message id.
func deskID(body []byte, fallback string) string {
	var ans struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &ans) != nil || len(ans.ID) == 0 {
		return fallback
	}
	var s string
	if json.Unmarshal(ans.ID, &s) == nil && s != "" {
		return s
	}
	var n json.Number
	if json.Unmarshal(ans.ID, &n) == nil && n != "" {
		return n.String()
	}
	return fallback
}

func bodyExcerpt(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// where names the receiver in errors and logs by scheme and host only:
// operators put tokens in paths, queries and userinfo.
func where(u *url.URL) string { return u.Scheme + "://" + u.Host }

// stripURL drops the full URL net/http puts in its errors, for the same
// reason.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
