package intake

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
)

// SecretHeader carries the webhook's secret_token on every request Telegram
// makes to it.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// WebhookHandler receives the updates Telegram POSTs in webhook mode. It
// answers 200 only after Handler returned nil (the update is committed), so
// Telegram redelivers anything not stored; any replica can take any request
// because commits are deduplicated on update_id.
type WebhookHandler struct {
	// Secret is the secret_token given to setWebhook.
	Secret string
	// Handler commits the update; it gets a batch of one.
	Handler func(ctx context.Context, batch []Update) error
	// MaxBody caps a request body [1 MiB].
	MaxBody int64
	Logger  *slog.Logger
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(SecretHeader)
	if h.Secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.Secret)) != 1 {
		log.Warn("telegram webhook: request without the right secret token rejected", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	limit := h.MaxBody
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("telegram webhook: body too large", "limit_bytes", limit)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	u := Decode(body)
	if u.ID == 0 {
		// No readable update_id: nothing to store it under. Telegram never
		// sends this; answering 400 keeps garbage out of the store.
		log.Warn("telegram webhook: body is not an update", "error", u.DecodeErr)
		http.Error(w, "not a Telegram update", http.StatusBadRequest)
		return
	}
	if u.DecodeErr != nil {
		log.Warn("telegram intake: update telego cannot decode, handed on as unsupported", "update_id", u.ID, "error", u.DecodeErr)
	}
	if err := h.Handler(r.Context(), []Update{u}); err != nil {
		log.Error("telegram webhook: storing the update failed; Telegram will retry", "update_id", u.ID, "error", err)
		http.Error(w, "could not store the update", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// SetWebhook asks Telegram to POST updates to url with the secret token;
// allowed are the update types to receive (nil keeps Telegram's current
// setting).
func SetWebhook(ctx context.Context, apiURL, token string, client *http.Client, url, secret string, allowed []string) error {
	c := newClient(apiURL, token, client)
	return c.call(ctx, "setWebhook", &telego.SetWebhookParams{URL: url, SecretToken: secret, AllowedUpdates: allowed}, nil)
}

// DeleteWebhook switches Telegram back to getUpdates.
func DeleteWebhook(ctx context.Context, apiURL, token string, client *http.Client) error {
	return newClient(apiURL, token, client).call(ctx, "deleteWebhook", &telego.DeleteWebhookParams{}, nil)
}

func newClient(apiURL, token string, hc *http.Client) *client {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &client{caller: ta.HTTPCaller{Client: hc}, base: strings.TrimRight(apiURL, "/") + "/bot" + token + "/", token: token}
}
