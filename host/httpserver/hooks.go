package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// Channels finds the running plugin behind a channel name.
type Channels interface {
	Channel(name string) (sdk.Channel, bool)
}

// ReplyStore commits agent replies.
type ReplyStore interface {
	CommitReplies(ctx context.Context, channel string, replies []sdk.Reply) ([]store.ReplyResult, error)
}

// HookObserver counts hook requests (metrics).
type HookObserver interface {
	HookRequest(channel string, status int)
}

// hooks serves /hooks/<channel>/...
type hooks struct {
	channels Channels
	replies  ReplyStore
	notify   func()
	maxBody  int64
	timeout  time.Duration
	log      hclog.Logger
	observer HookObserver
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/hooks/")
	name, sub, _ := strings.Cut(rest, "/")
	sub = "/" + sub
	status := h.serve(w, r, name, sub)
	if h.observer != nil {
		h.observer.HookRequest(name, status)
	}
}

func (h *hooks) serve(w http.ResponseWriter, r *http.Request, name, sub string) int {
	log := h.log.With("channel", name, "path", sub, "remote", r.RemoteAddr)
	ch, ok := h.channels.Channel(name)
	if !ok {
		log.Warn("webhook for a channel that is not configured or not running")
		return writeError(w, http.StatusNotFound, "no such channel")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("webhook body too large; rejected", "limit_bytes", h.maxBody)
			return writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		}
		log.Warn("reading webhook body failed", "error", err)
		return writeError(w, http.StatusBadRequest, "could not read request body")
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	resp, err := ch.HandleWebhook(ctx, sdk.WebhookRequest{
		Method: r.Method, Path: sub, RawQuery: r.URL.RawQuery, Header: r.Header, Body: body, RemoteAddr: r.RemoteAddr,
	})
	if err != nil {
		log.Error("plugin failed to handle webhook", "error", err)
		if d, ok := sdk.RetryHint(err); ok && d > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(d))
		}
		return writeError(w, http.StatusServiceUnavailable, "channel unavailable, retry later")
	}
	if len(resp.Replies) > 0 {
		results, err := h.replies.CommitReplies(ctx, name, resp.Replies)
		if err != nil {
			if errors.Is(err, store.ErrUnknownConversation) {
				log.Warn("webhook reply for an unknown conversation; nothing stored", "error", err)
				return writeError(w, http.StatusUnprocessableEntity, err.Error())
			}
			log.Error("storing replies failed; the desk should retry", "error", err)
			return writeError(w, http.StatusServiceUnavailable, "could not store the reply, retry later")
		}
		fresh := 0
		for i, res := range results {
			if res.Duplicate {
				log.Info("duplicate reply ignored", "reply", resp.Replies[i].ExternalID, "conversation", res.ConversationID)
				continue
			}
			fresh++
			log.Info("reply stored", "reply", resp.Replies[i].ExternalID, "conversation", res.ConversationID)
		}
		if fresh > 0 && h.notify != nil {
			h.notify()
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
	return status
}

func retryAfterSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return itoa(s)
}

func writeError(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": msg})
	return status
}
