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
	"github.com/parley-dev/parley/host/config"
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

// ActionStore applies agents' lifecycle actions, once per (channel,
// external id); a ReplyStore that implements it lets desks report actions
// in their webhook answers (sdk.WebhookResponse.Actions).
type ActionStore interface {
	// ApplyActions applies the actions in order. An action for an unknown
	// conversation (or one not routed to channel) wraps
	// store.ErrUnknownConversation, an action that cannot apply at all
	// store.ErrInvalidAction; the ones before it stay applied, and a retry
	// of the same actions applies each once.
	ApplyActions(ctx context.Context, channel string, actions []sdk.Action) ([]sdk.ActionResult, error)
}

// HookObserver counts hook requests (metrics).
type HookObserver interface {
	// HookRequest counts one request; channel is a running channel's name
	// or UnknownChannel, never raw input from the URL.
	HookRequest(channel string, status int)
}

// UnknownChannel is the label HookObserver counts requests for channels
// that are not running (or cannot exist) under, so made-up names in URLs
// cannot create new metric series. It cannot be a channel's name (those
// start with a letter).
const UnknownChannel = "_unknown"

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
	valid := config.ValidChannelName(name)
	var ch sdk.Channel
	ok := false
	if valid {
		ch, ok = h.channels.Channel(name)
	}
	label := UnknownChannel
	var status int
	switch {
	case !valid:
		// Not even a possible name (invalid UTF-8, NUL, upper case, ...):
		// answered without logging or echoing the attacker's bytes.
		status = writeError(w, http.StatusNotFound, "no such channel")
	case !ok:
		h.log.Warn("webhook for a channel that is not configured or not running", "channel", truncate(name, 64), "remote", r.RemoteAddr)
		status = writeError(w, http.StatusNotFound, "no such channel")
	default:
		label = name
		status = h.serve(w, r, ch, name, sub)
	}
	if h.observer != nil {
		h.observer.HookRequest(label, status)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (h *hooks) serve(w http.ResponseWriter, r *http.Request, ch sdk.Channel, name, sub string) int {
	log := h.log.With("channel", name, "path", sub, "remote", r.RemoteAddr)
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
	if len(resp.Actions) > 0 {
		if st := h.applyActions(ctx, w, log, name, resp.Actions); st != 0 {
			return st
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	// net/http panics on a status outside 100-999 and treats 1xx as an
	// interim answer; anything but a final 2xx-5xx is a plugin bug. Any
	// replies are already committed above, so a desk that retries after the
	// 502 loses nothing (duplicates are ignored).
	if status < 200 || status > 599 {
		log.Error("plugin answered the webhook with an invalid HTTP status; answered 502", "plugin_status", resp.Status)
		return writeError(w, http.StatusBadGateway, "the channel's plugin gave an invalid answer")
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
	return status
}

// applyActions applies a webhook answer's actions after its replies; it
// returns the status it answered, 0 when all were applied.
func (h *hooks) applyActions(ctx context.Context, w http.ResponseWriter, log hclog.Logger, name string, actions []sdk.Action) int {
	as, ok := h.replies.(ActionStore)
	if !ok {
		log.Error("the channel's plugin reported lifecycle actions this host cannot apply; ignored", "actions", len(actions))
		return 0
	}
	results, err := as.ApplyActions(ctx, name, actions)
	if err != nil {
		if errors.Is(err, store.ErrUnknownConversation) || errors.Is(err, store.ErrInvalidAction) {
			log.Warn("webhook action refused; the desk should not retry it", "error", err)
			return writeError(w, http.StatusUnprocessableEntity, err.Error())
		}
		log.Error("applying actions failed; the desk should retry", "error", err)
		return writeError(w, http.StatusServiceUnavailable, "could not apply the action, retry later")
	}
	fresh := 0
	for i, res := range results {
		a := actions[i]
		if res.Duplicate {
			log.Info("duplicate action ignored", "action", a.ExternalID, "conversation", res.ConversationID)
			continue
		}
		fresh++
		log.Info("action applied", "action", a.ExternalID, "kind", a.Kind, "conversation", res.ConversationID,
			"state", res.State, "changed", res.Changed)
	}
	if fresh > 0 && h.notify != nil {
		h.notify()
	}
	return 0
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
