package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// secretTokenRE is setWebhook's secret_token syntax (Bot API, setWebhook).
var secretTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// webhook is an active webhook and its delivery state.
type webhook struct {
	url            string
	secret         string
	maxConnections int64
	cancel         context.CancelFunc
	lastErrorDate  int64
	lastErrorMsg   string
}

// WebhookURL is the URL set with setWebhook, "" in polling mode.
func (s *Bot) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.webhook == nil {
		return ""
	}
	return s.state.webhook.url
}

func (s *Bot) setWebhook(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	raw := p["url"]
	if raw == "" {
		return s.deleteWebhook(context.Background(), req)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("bad webhook: invalid webhook URL specified")
	}
	if s.opts.StrictWebhook {
		if u.Scheme != "https" {
			return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
		switch u.Port() {
		case "", "443", "80", "88", "8443":
		default:
			return nil, badRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
		}
	}
	secret := p["secret_token"]
	if secret != "" && !secretTokenRE.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn, e := p.int("max_connections", 40)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if raw := p.rawJSON("allowed_updates"); raw != nil {
		var kinds []string
		if err := json.Unmarshal(raw, &kinds); err == nil {
			s.setAllowedLocked(kinds)
		}
	}
	if p.bool("drop_pending_updates") {
		s.dropPendingLocked()
	}
	s.endPollLocked(&apiError{Code: http.StatusConflict, Description: conflictSetWebhook})
	desc := "Webhook was set"
	if old := s.state.webhook; old != nil && old.url == raw && old.secret == secret {
		desc = "Webhook is already set"
	}
	s.stopWebhookLocked()
	ctx, cancel := context.WithCancel(context.Background())
	wh := &webhook{url: raw, secret: secret, maxConnections: min(max(maxConn, 1), 100), cancel: cancel}
	s.state.webhook = wh
	s.wg.Add(1)
	go s.deliver(ctx, wh)
	return described{result: true, description: desc}, nil
}

func (s *Bot) deleteWebhook(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook is already deleted"
	if s.state.webhook != nil {
		desc = "Webhook was deleted"
	}
	s.stopWebhookLocked()
	if req.Params.bool("drop_pending_updates") {
		s.dropPendingLocked()
	}
	return described{result: true, description: desc}, nil
}

func (s *Bot) getWebhookInfo(context.Context, *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := map[string]any{"url": "", "has_custom_certificate": false, "pending_update_count": len(s.state.queue)}
	if wh := s.state.webhook; wh != nil {
		info["url"] = wh.url
		info["max_connections"] = wh.maxConnections
		if wh.lastErrorDate != 0 {
			info["last_error_date"] = wh.lastErrorDate
			info["last_error_message"] = wh.lastErrorMsg
		}
	}
	if s.state.allowed != nil {
		kinds := make([]string, 0, len(s.state.allowed))
		for k := range s.state.allowed {
			kinds = append(kinds, k)
		}
		info["allowed_updates"] = kinds
	}
	return info, nil
}

func (s *Bot) dropPendingLocked() {
	if n := len(s.state.queue); n > 0 {
		s.state.confirmed = s.state.queue[n-1].id + 1
	}
	s.state.queue = nil
}

// stopWebhookLocked ends delivery; the delivery goroutine notices it is no longer current.
func (s *Bot) stopWebhookLocked() {
	if s.state.webhook != nil {
		s.state.webhook.cancel()
		s.state.webhook = nil
	}
}

// deliver POSTs queued updates to the webhook one at a time, in update order (stricter than
// Telegram's per-chat order), and redelivers each until it gets a 2xx, backing off from
// WebhookRetryDelay doubling to WebhookMaxRetryDelay and honouring a Retry-After header.
func (s *Bot) deliver(ctx context.Context, wh *webhook) {
	defer s.wg.Done()
	client := &http.Client{Timeout: 30 * time.Second}
	delay := s.opts.WebhookRetryDelay
	for ctx.Err() == nil {
		s.mu.Lock()
		if s.state.webhook != wh {
			s.mu.Unlock()
			return
		}
		s.expireLocked()
		if len(s.state.queue) == 0 {
			wake := s.state.wake
			s.mu.Unlock()
			select {
			case <-wake:
			case <-ctx.Done():
			}
			continue
		}
		u := s.state.queue[0]
		s.mu.Unlock()

		wait, errMsg := s.post(ctx, client, wh, u.raw)
		s.mu.Lock()
		if s.state.webhook != wh {
			s.mu.Unlock()
			return
		}
		if errMsg == "" {
			if len(s.state.queue) > 0 && s.state.queue[0].id == u.id {
				s.state.queue = s.state.queue[1:]
				s.state.confirmed = u.id + 1
			}
			delay = s.opts.WebhookRetryDelay
			s.mu.Unlock()
			continue
		}
		wh.lastErrorDate, wh.lastErrorMsg = s.opts.Now().Unix(), errMsg
		s.mu.Unlock()
		if wait <= 0 {
			wait = delay
			delay = min(delay*2, s.opts.WebhookMaxRetryDelay)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// post delivers one update; errMsg is "" on a 2xx, else Telegram's last_error_message.
func (s *Bot) post(ctx context.Context, client *http.Client, wh *webhook, body []byte) (retryAfter time.Duration, errMsg string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.url, bytes.NewReader(body))
	if err != nil {
		return 0, "Invalid webhook URL"
	}
	req.Header.Set("Content-Type", "application/json")
	if wh.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "Connection refused"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, ""
	}
	if sec, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && sec > 0 {
		retryAfter = min(time.Duration(sec)*time.Second, time.Hour)
	}
	return retryAfter, fmt.Sprintf("Wrong response from the webhook: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}
