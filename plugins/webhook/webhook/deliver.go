package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
	"github.com/parley-dev/parley/sdk/signature"
)

// DeliverPayload is the JSON body POSTed to the receiver for each message.
type DeliverPayload struct {
	ConversationID string         `json:"conversation_id"`
	Message        PayloadMessage `json:"message"`
	Contact        PayloadContact `json:"contact"`
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
}

// responseLimit caps how much of the receiver's answer is read.
const responseLimit = 64 << 10

// Deliver implements sdk.Channel: one signed POST per message.
func (c *Channel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	cfg, client, logger, err := c.current()
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	if req.Conversation.ID == "" {
		return sdk.DeliverResponse{}, sdk.Permanent(errors.New("delivery has no conversation id"))
	}
	body, err := json.Marshal(payloadOf(req))
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(fmt.Errorf("encode message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url.String(), bytes.NewReader(body))
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(fmt.Errorf("build request: %w", stripURL(err)))
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("User-Agent", "parley-channel-webhook/"+Version)
	httpReq.Header.Set(SignatureHeader, signature.SignHMACSHA256(cfg.secret, body))
	resp, err := client.Do(httpReq)
	if err != nil {
		// The host retries: the receiver may be down for a moment.
		return sdk.DeliverResponse{}, fmt.Errorf("post to %s: %w", where(cfg.url), stripURL(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, responseLimit))
	logger.Debug("delivered", "message", req.Message.ID, "status", resp.StatusCode)

	if err := statusError(resp, answer, where(cfg.url)); err != nil {
		return sdk.DeliverResponse{}, err
	}
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
		Message: PayloadMessage{
			ID: m.ID, Kind: string(m.Kind), Text: format.TextWithContext(m), Time: m.Time.UTC().Format(time.RFC3339),
			Attachments: []PayloadAttachment{},
		},
		Contact: PayloadContact{
			TelegramUserID: req.Contact.TelegramUserID, FirstName: req.Contact.FirstName, LastName: req.Contact.LastName,
			Username: req.Contact.Username, LanguageCode: req.Contact.LanguageCode,
		},
	}
	for _, a := range m.Attachments {
		p.Message.Attachments = append(p.Message.Attachments, PayloadAttachment{
			Name: a.Name, MIMEType: a.MIMEType, Size: a.Size, URL: a.URL, TooLarge: a.TooLarge,
		})
	}
	return p
}

// statusError classifies the receiver's answer: 2xx is success, 429 asks
// the host to wait, other 4xx will not get better by retrying, 5xx might.
func statusError(resp *http.Response, body []byte, where string) error {
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code == http.StatusTooManyRequests:
		return sdk.RetryAfter(fmt.Errorf("%s answered 429 Too Many Requests", where), retryAfter(resp.Header.Get("Retry-After")))
	case code >= 400 && code <= 499:
		return sdk.Permanent(fmt.Errorf("%s answered %d: %s", where, code, bodyExcerpt(body)))
	default:
		return fmt.Errorf("%s answered %d: %s", where, code, bodyExcerpt(body))
	}
}

// retryAfter reads Retry-After as seconds or an HTTP date; 0 leaves the
// wait to the host's backoff.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
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
