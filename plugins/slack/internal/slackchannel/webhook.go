package slackchannel

import (
	"context"
	"encoding/json"
	"net/http"
	"net/textproto"

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
		replies, dup, err := c.events.do(id, func() ([]sdk.Reply, error) { return c.repliesFor(ctx, st, ev) })
		if err != nil {
			// 500 makes Slack retry the event later.
			st.log.Error("event failed", "event_id", id, "error", err)
			return textResponse(http.StatusInternalServerError, "try again"), nil
		}
		if dup {
			st.log.Debug("repeated event", "event_id", id, "retry", req.HeaderValue("X-Slack-Retry-Num"))
		}
		return sdk.WebhookResponse{Status: http.StatusOK, Replies: replies}, nil
	case slackevents.AppRateLimited:
		st.log.Warn("Slack is dropping events: the workspace passed 30,000 events an hour")
	}
	return sdk.WebhookResponse{Status: http.StatusOK}, nil
}

func textResponse(status int, body string) sdk.WebhookResponse {
	return sdk.WebhookResponse{
		Status: status,
		Header: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte(body),
	}
}
