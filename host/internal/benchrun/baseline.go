package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/signature"
)

// baselineChannel is the in-process desk channel of the baseline arm. It
// does what parley-channel-webhook's Deliver does, step for step: the same
// JSON payload, HMAC-SHA256 signature, a clone of http.DefaultTransport and
// the same answer parsing.
//
// Written here by hand only because the webhook channel lives in
// plugins/webhook/internal/webhook, which Go forbids this package to
// import; once that package is importable from the host tree the baseline
// should use webhook.New() itself.
type baselineChannel struct {
	mu      sync.RWMutex
	url     string
	secret  []byte
	timeout time.Duration
	client  *http.Client
}

func newBaselineChannel() *baselineChannel { return &baselineChannel{} }

// Describe implements sdk.Channel.
func (c *baselineChannel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "webhook", Version: "bench", Capabilities: sdk.Capabilities{Threads: true, Formatting: "plain"}}, nil
}

// Configure implements sdk.Channel; it reads the webhook plugin's table.
func (c *baselineChannel) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var table struct {
		URL     string `json:"url"`
		Secret  string `json:"secret"`
		Timeout string `json:"timeout"`
	}
	if err := json.Unmarshal(req.Config, &table); err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Message: err.Error()}}}, nil
	}
	timeout, err := time.ParseDuration(table.Timeout)
	if err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "timeout", Message: err.Error()}}}, nil
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = timeout
	c.mu.Lock()
	defer c.mu.Unlock()
	c.url, c.secret, c.timeout = table.URL, []byte(table.Secret), timeout
	c.client = &http.Client{Transport: transport}
	return sdk.ConfigureResponse{}, nil
}

// deliverPayload is the webhook plugin's wire format (see
// plugins/webhook/README.md).
type deliverPayload struct {
	ConversationID string `json:"conversation_id"`
	Message        struct {
		ID          string           `json:"id"`
		Kind        string           `json:"kind"`
		Text        string           `json:"text"`
		Time        string           `json:"time"`
		Attachments []map[string]any `json:"attachments"`
	} `json:"message"`
	Contact struct {
		TelegramUserID int64  `json:"telegram_user_id"`
		FirstName      string `json:"first_name"`
		LastName       string `json:"last_name"`
		Username       string `json:"username"`
		LanguageCode   string `json:"language_code"`
	} `json:"contact"`
}

// Deliver implements sdk.Channel: one signed POST per message.
func (c *baselineChannel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	c.mu.RLock()
	url, secret, timeout, client := c.url, c.secret, c.timeout, c.client
	c.mu.RUnlock()
	if client == nil {
		return sdk.DeliverResponse{}, sdk.ErrNotConfigured
	}
	var p deliverPayload
	p.ConversationID = req.Conversation.ID
	p.Message.ID, p.Message.Kind, p.Message.Text = req.Message.ID, string(req.Message.Kind), req.Message.Text
	p.Message.Time = req.Message.Time.UTC().Format(time.RFC3339)
	p.Message.Attachments = []map[string]any{}
	p.Contact.TelegramUserID, p.Contact.FirstName = req.Contact.TelegramUserID, req.Contact.FirstName
	p.Contact.LastName, p.Contact.Username, p.Contact.LanguageCode = req.Contact.LastName, req.Contact.Username, req.Contact.LanguageCode
	body, err := json.Marshal(p)
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(err)
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("User-Agent", "parley-bench-baseline")
	httpReq.Header.Set("X-Parley-Signature", signature.SignHMACSHA256(secret, body))
	resp, err := client.Do(httpReq)
	if err != nil {
		return sdk.DeliverResponse{}, fmt.Errorf("post to desk: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return sdk.DeliverResponse{}, fmt.Errorf("desk answered %d", resp.StatusCode)
	}
	var ans struct {
		ID string `json:"id"`
	}
	id := req.Message.ID
	if json.Unmarshal(answer, &ans) == nil && ans.ID != "" {
		id = ans.ID
	}
	ref := req.ThreadRef
	if len(ref) == 0 {
		ref = []byte(req.Conversation.ID)
	}
	return sdk.DeliverResponse{ThreadRef: ref, DeskMessageID: id}, nil
}

// HandleWebhook implements sdk.Channel; the baseline measures intake only.
func (c *baselineChannel) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: http.StatusNotImplemented, Body: []byte("the benchmark baseline takes no replies\n")}, nil
}
