package hipchatchannel

import (
	"context"
	"net/http"
	"strings"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk"
)

// webhookName marks the webhook this plugin owns in the room, so
// re-registration replaces it instead of adding a second one (which would
// deliver every reply twice).
const webhookName = "parley"

// register makes sure the room has exactly one webhook of ours, pointing
// at HookBaseURL/<webhook_secret> with the reply pattern.
func (c *Channel) register(ctx context.Context, st *state, hookBaseURL string) []sdk.ConfigError {
	want := hcapi.Webhook{
		URL:            strings.TrimRight(hookBaseURL, "/") + "/" + st.cfg.WebhookSecret,
		Event:          "room_message",
		Pattern:        st.matcher.pattern,
		Name:           webhookName,
		Authentication: "none",
	}
	existing, err := st.client.Webhooks(ctx, st.cfg.Room)
	if err != nil {
		return registerError(err)
	}
	found := false
	for _, w := range existing {
		if w.Name != webhookName {
			continue
		}
		if !found && w.URL == want.URL && w.Event == want.Event && w.Pattern == want.Pattern {
			found = true
			continue
		}
		if err := st.client.DeleteWebhook(ctx, st.cfg.Room, w.ID); err != nil && hcapi.StatusOf(err) != http.StatusNotFound {
			return registerError(err)
		}
	}
	if found {
		st.log.Info("room webhook already registered", "room", st.cfg.Room)
		return nil
	}
	id, err := st.client.CreateWebhook(ctx, st.cfg.Room, want)
	if err != nil {
		return registerError(err)
	}
	// The URL holds the secret: log the id only.
	st.log.Info("registered room webhook", "room", st.cfg.Room, "webhook_id", id, "pattern", want.Pattern)
	return nil
}

func registerError(err error) []sdk.ConfigError {
	switch hcapi.StatusOf(err) {
	case http.StatusUnauthorized, http.StatusForbidden:
		return []sdk.ConfigError{{Key: "token", Message: "cannot register the room webhook: the token needs the admin_room scope " +
			"(a room notification token cannot manage webhooks; use a personal token, or set register_webhook = false and register it by hand)"}}
	case http.StatusNotFound:
		return []sdk.ConfigError{{Key: "room", Message: "cannot register the room webhook: " + err.Error()}}
	}
	return []sdk.ConfigError{{Key: "register_webhook", Message: "cannot register the room webhook: " + err.Error()}}
}
