package slackchannel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// FuzzThreadRef parses any bytes as a thread ref: no panic, and a ref
// that parses encodes back to the same bytes.
func FuzzThreadRef(f *testing.F) {
	for _, s := range []string{"C0SUP:1767225600.000100", "", ":", "C0SUP:", ":1.2", "C0SUP", "C0SUP:1:2", "\xff:\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseThreadRef(b)
		if err != nil {
			return
		}
		if r.zero() {
			if len(b) != 0 {
				t.Fatalf("ref %q parsed as empty", b)
			}
			return
		}
		if !bytes.Equal(r.encode(), b) {
			t.Fatalf("ref %q came back as %q", b, r.encode())
		}
	})
}

// slackEvent wraps an inner event in the Events API envelope.
func slackEvent(inner string) []byte {
	return []byte(`{"token":"x","team_id":"` + slackfake.TeamID + `","api_app_id":"` + slackfake.AppID +
		`","event":` + inner + `,"type":"event_callback","event_id":"Ev0` + strconv.Itoa(len(inner)) +
		`","event_time":1767225600,"authorizations":[{"team_id":"T0001","user_id":"U0BOT","is_bot":true}]}`)
}

// FuzzWebhook posts any body, correctly signed, to a channel configured
// against the fake Slack: HandleWebhook never fails or panics, answers a
// valid status, and every reply it returns names a thread and carries
// valid UTF-8 text.
func FuzzWebhook(f *testing.F) {
	reply := `{"type":"message","channel":"` + slackfake.ChannelID + `","user":"` + slackfake.AgentUserID +
		`","text":"Hi *Ann*, your parcel ships _today_ <https://track.example/1|track it>","ts":"1767225601.000200",` +
		`"thread_ts":"1767225600.000100","parent_user_id":"` + slackfake.BotUserID + `"}`
	for _, body := range [][]byte{
		slackEvent(reply),
		slackEvent(`{"type":"message","subtype":"message_changed","channel":"` + slackfake.ChannelID + `","hidden":true,` +
			`"message":{"type":"message","user":"U0AGENT","text":"edited ~typo~","ts":"1767225601.000200","thread_ts":"1767225600.000100","parent_user_id":"U0BOT","edited":{"user":"U0AGENT","ts":"1767225700.000000"}},` +
			`"previous_message":{"type":"message","user":"U0AGENT","text":"typo","ts":"1767225601.000200","thread_ts":"1767225600.000100"},"ts":"1767225700.000300"}`),
		slackEvent(`{"type":"message","subtype":"file_share","channel":"C0SUP","user":"U0AGENT","text":"see file","ts":"1767225602.000100","thread_ts":"1767225600.000100","parent_user_id":"U0BOT",` +
			`"files":[{"id":"F0FILE","name":"label.pdf","mimetype":"application/pdf","size":1234,"url_private":"https://files.slack.example/F0FILE"}]}`),
		slackEvent(`{"type":"message","subtype":"bot_message","channel":"C0SUP","bot_id":"B0BOT","text":"echo","ts":"1767225603.000100"}`),
		slackEvent(`{"type":"message","channel":"C0SUP","user":"U0AGENT","text":"!note internal","ts":"1767225604.000100","thread_ts":"1767225600.000100","parent_user_id":"U0BOT"}`),
		slackEvent(`{"type":"app_home_opened","user":"U0AGENT"}`),
		[]byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`),
		[]byte(`{"token":"x","team_id":"T0001","minute_rate_limited":1518467820,"api_app_id":"A0APP","type":"app_rate_limited"}`),
		[]byte(`{"type":"event_callback","event":{"type":"message","message":null}}`),
		[]byte(`not json`),
	} {
		f.Add(body)
	}
	fake := slackfake.New()
	f.Cleanup(fake.Close)
	ch := New(Options{Version: "fuzz"})
	f.Cleanup(ch.Close)
	cfg, _ := json.Marshal(map[string]any{"bot_token": slackfake.BotToken, "signing_secret": slackfake.SigningSecret,
		"channel": "#" + slackfake.ChannelName, "api_url": fake.APIURL()})
	ctx := context.Background()
	resp, err := ch.Configure(ctx, sdk.ConfigureRequest{ChannelName: "slack", Config: cfg, Host: plugintest.NewRecordingHost()})
	if err != nil || len(resp.Errors) > 0 {
		f.Fatalf("Configure: %v %+v", err, resp.Errors)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(slackfake.SigningSecret))
		mac.Write([]byte("v0:" + ts + ":"))
		mac.Write(body)
		req := sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Body: body, Header: map[string][]string{
			"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {"v0=" + hex.EncodeToString(mac.Sum(nil))},
			"Content-Type": {"application/json"},
		}}
		resp, err := ch.HandleWebhook(ctx, req)
		if err != nil {
			t.Fatalf("HandleWebhook: %v", err)
		}
		if resp.Status < 200 || resp.Status > 599 {
			t.Fatalf("status %d", resp.Status)
		}
		for _, r := range resp.Replies {
			if _, err := parseThreadRef(r.ThreadRef); err != nil || len(r.ThreadRef) == 0 {
				t.Fatalf("reply with thread ref %q: %v", r.ThreadRef, err)
			}
			if !utf8.ValidString(r.Text) || r.ExternalID == "" {
				t.Fatalf("reply %+v", r)
			}
		}
	})
}
