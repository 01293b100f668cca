package slackchannel

import (
	"context"
	"encoding/json"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// HandleWebhook implements [sdk.Channel] for the Events API: it verifies
// X-Slack-Signature over the raw body (5-minute replay window), answers
// url_verification, and maps message events to replies. Slack's retries of
// an event (same event_id) return the first run's replies without calling
// Slack again.
func (c *Channel) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	st, err := c.configured()
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	if st.cfg.SigningSecret == "" {
		return textResponse(http.StatusNotFound, "this channel receives Slack events over Socket Mode"), nil
	}
	if req.Method != http.MethodPost {
		return textResponse(http.StatusMethodNotAllowed, "POST only"), nil
	}
	header := http.Header{}
	for k, v := range req.Header {
		header[textproto.CanonicalMIMEHeaderKey(k)] = v
	}
	sv, err := slack.NewSecretsVerifier(header, st.cfg.SigningSecret)
	if err == nil {
		_, _ = sv.Write(req.Body)
		err = sv.Ensure()
	}
	if err != nil {
		st.log.Warn("rejected Slack request", "reason", err, "remote", req.RemoteAddr)
		return textResponse(http.StatusUnauthorized, "invalid signature"), nil
	}

	if ct := req.HeaderValue("Content-Type"); strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded") {
		return c.handleInteraction(ctx, st, req.Body)
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(req.Body), slackevents.OptionNoVerifyToken())
	if err != nil {
		return textResponse(http.StatusBadRequest, "cannot parse event"), nil
	}
	switch ev.Type {
	case slackevents.URLVerification:
		v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			return textResponse(http.StatusBadRequest, "bad url_verification"), nil
		}
		return textResponse(http.StatusOK, v.Challenge), nil
	case slackevents.CallbackEvent:
		cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
		id := ""
		if cb != nil {
			id = cb.EventID
		}
		out, dup, err := c.events.do(id, func() (outcome, error) { return c.outcomeFor(ctx, st, ev) })
		if err != nil {
			// 500 makes Slack retry the event later.
			st.log.Error("event failed", "event_id", id, "error", err)
			return textResponse(http.StatusInternalServerError, "try again"), nil
		}
		if dup {
			st.log.Debug("repeated event", "event_id", id, "retry", req.HeaderValue("X-Slack-Retry-Num"))
		}
		return sdk.WebhookResponse{Status: http.StatusOK, Replies: out.replies, Actions: out.actions}, nil
	case slackevents.AppRateLimited:
		st.log.Warn("Slack is dropping events: the workspace passed 30,000 events an hour")
	}
	return sdk.WebhookResponse{Status: http.StatusOK}, nil
}

// handleInteraction answers an interactivity request (a signed form with
// one field, payload): a click on a header's button becomes an action the
// host applies before Slack gets its 200; the header changes when the
// host's notice comes back.
func (c *Channel) handleInteraction(ctx context.Context, st *state, body []byte) (sdk.WebhookResponse, error) {
	form, err := url.ParseQuery(string(body))
	payload := form.Get("payload")
	if err != nil || payload == "" {
		return textResponse(http.StatusBadRequest, "want a form with a payload field"), nil
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &ic); err != nil {
		return textResponse(http.StatusBadRequest, "cannot parse the interaction payload"), nil
	}
	a, ok, err := c.clickAction(ctx, st, ic)
	if err != nil {
		st.log.Error("click failed", "error", err)
		return textResponse(http.StatusInternalServerError, "try again"), nil
	}
	if !ok {
		return sdk.WebhookResponse{Status: http.StatusOK}, nil
	}
	return sdk.WebhookResponse{Status: http.StatusOK, Actions: []sdk.Action{a}}, nil
}

func textResponse(status int, body string) sdk.WebhookResponse {
	return sdk.WebhookResponse{
		Status: status,
		Header: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte(body),
	}
}
