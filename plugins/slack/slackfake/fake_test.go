package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/slack-go/slack"
)

func call(t *testing.T, f *slackfake.Fake, method string, form url.Values, bearer string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.APIURL()+method, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, res.Header, body
}

func TestAuthChecksInOrder(t *testing.T) {
	f := slackfake.New(slackfake.WithBotScopes("chat:write"))
	defer f.Close()
	tests := []struct {
		name   string
		method string
		form   url.Values
		bearer string
		want   string
	}{
		{"no token", "auth.test", nil, "", "not_authed"},
		{"token in query only is ignored", "auth.test?token=" + slackfake.BotToken, nil, "", "not_authed"},
		{"unknown token", "auth.test", nil, "xoxb-nope", "invalid_auth"},
		{"app token on chat", "chat.postMessage", url.Values{"channel": {slackfake.ChannelID}, "text": {"x"}}, slackfake.AppToken, "not_allowed_token_type"},
		{"bot token on Socket Mode", "apps.connections.open", nil, slackfake.BotToken, "not_allowed_token_type"},
		{"missing scope", "users.info", url.Values{"user": {slackfake.AgentUserID}}, slackfake.BotToken, "missing_scope"},
		{"unknown method", "chat.nope", nil, slackfake.BotToken, "unknown_method"},
		{"no text", "chat.postMessage", url.Values{"channel": {slackfake.ChannelID}}, slackfake.BotToken, "no_text"},
		{"form token works", "auth.test", url.Values{"token": {slackfake.BotToken}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := call(t, f, tt.method, tt.form, tt.bearer)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if tt.want == "" {
				if body["ok"] != true || hdr.Get("X-OAuth-Scopes") != "chat:write" {
					t.Errorf("body %v scopes %q, want ok with the grant", body, hdr.Get("X-OAuth-Scopes"))
				}
				return
			}
			if body["ok"] != false || body["error"] != tt.want {
				t.Errorf("body %v, want error %s", body, tt.want)
			}
			if tt.want == "missing_scope" && body["needed"] != "users:read" {
				t.Errorf("missing_scope without needed: %v", body)
			}
		})
	}
}

func TestInjectedRateLimitReachesSlackGo(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
	f.Inject429("chat.postMessage", 1, 3)
	_, _, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("err %v, want RateLimitedError of 3s", err)
	}
	if _, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("hi", false)); err != nil || ts == "" {
		t.Fatalf("after the injection: %v", err)
	}
	if n := len(f.Messages(slackfake.ChannelID)); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

func TestUploadAndPrivateDownload(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
	_, root, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello file")
	sum, err := api.UploadFile(slack.UploadFileParameters{Reader: strings.NewReader(string(data)), FileSize: len(data),
		Filename: "a.txt", Channel: slackfake.ChannelID, ThreadTimestamp: root})
	if err != nil {
		t.Fatal(err)
	}
	files := f.Files()
	if len(files) != 1 || files[0].ID != sum.ID || string(files[0].Content) != string(data) || files[0].ThreadTS != root {
		t.Fatalf("files %+v", files)
	}
	info, _, _, err := api.GetFileInfo(sum.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := api.GetFile(info.URLPrivateDownload, &sb); err != nil || sb.String() != string(data) {
		t.Errorf("download %q (%v)", sb.String(), err)
	}
	// Without the token Slack answers with its sign-in page.
	res, err := http.Get(info.URLPrivate)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(b), string(data)) || !strings.Contains(res.Request.URL.String(), "/signin") {
		t.Errorf("an anonymous download got %q from %s", b, res.Request.URL)
	}
	// A length that does not match the bytes is refused.
	err = api.UploadToURL(context.Background(), slack.UploadToURLParameters{UploadURL: f.URL() + "/upload/v1/F999999", Content: "x", Filename: "x"})
	if err == nil {
		t.Error("upload to an unknown id succeeded")
	}
}

func TestEventsAreSignedAndRetried(t *testing.T) {
	f := slackfake.New(slackfake.WithRetryDelays(0, 10*time.Millisecond, 10*time.Millisecond))
	defer f.Close()
	var attempts []string
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sv, err := slack.NewSecretsVerifier(r.Header, slackfake.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		attempts = append(attempts, r.Header.Get("X-Slack-Retry-Num"))
		if len(attempts) < 2 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})}
	ln, url := listen(t)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	f.SetEventsURL(url)
	d, err := f.SendEvent(context.Background(), map[string]any{"type": "app_home_opened", "user": "U1"})
	if err != nil || !d.OK() {
		t.Fatalf("delivery %+v (%v)", d, err)
	}
	if strings.Join(attempts, ",") != ",1" {
		t.Errorf("attempts with retry numbers %q, want the first then retry 1", attempts)
	}
	if status, _ := f.SendWithBadSignature(context.Background(), map[string]any{"type": "app_home_opened"}); status != http.StatusUnauthorized {
		t.Errorf("bad signature answered %d by a verifying server", status)
	}
}

func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String() + "/hooks/slack"
}

func TestChatUpdate(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "block", false, false), nil, nil))
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("first", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	ch, uts, text, err := api.UpdateMessage(slackfake.ChannelID, ts, slack.MsgOptionText("second", false))
	if err != nil || ch != slackfake.ChannelID || uts != ts || text != "second" {
		t.Fatalf("update answered %q %q %q (%v), want the channel, the same ts and the new text", ch, uts, text, err)
	}
	msgs := f.Messages(slackfake.ChannelID)
	if len(msgs) != 1 || msgs[0].Text != "second" || !msgs[0].Edited || !strings.Contains(msgs[0].Blocks, "block") {
		t.Fatalf("messages %+v, want the one message edited in place, blocks kept", msgs)
	}
	// Slack announces the app's own edit as message_changed, edited by the bot.
	if !f.WaitFor(5*time.Second, func() bool {
		for _, d := range f.Deliveries() {
			if strings.Contains(string(d.Body), `"subtype":"message_changed"`) &&
				strings.Contains(string(d.Body), `"edited":{"ts":`) && strings.Contains(string(d.Body), `"user":"`+slackfake.BotUserID+`"`) {
				return true
			}
		}
		return false
	}) {
		t.Error("no message_changed event for the update")
	}

	human, _, err := f.TopLevelMessage(context.Background(), slackfake.ChannelID, slackfake.AgentUserID, "mine")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		form   url.Values
		bearer string
		want   string
	}{
		{"no token", url.Values{"channel": {slackfake.ChannelID}, "ts": {ts}, "text": {"x"}}, "", "not_authed"},
		{"app token", url.Values{"channel": {slackfake.ChannelID}, "ts": {ts}, "text": {"x"}}, slackfake.AppToken, "not_allowed_token_type"},
		{"no channel", url.Values{"ts": {ts}, "text": {"x"}}, slackfake.BotToken, "channel_not_found"},
		{"no ts", url.Values{"channel": {slackfake.ChannelID}, "text": {"x"}}, slackfake.BotToken, "invalid_arguments"},
		{"unknown ts", url.Values{"channel": {slackfake.ChannelID}, "ts": {"1.000001"}, "text": {"x"}}, slackfake.BotToken, "message_not_found"},
		{"someone else's message", url.Values{"channel": {slackfake.ChannelID}, "ts": {human}, "text": {"x"}}, slackfake.BotToken, "cant_update_message"},
		{"no text", url.Values{"channel": {slackfake.ChannelID}, "ts": {ts}}, slackfake.BotToken, "no_text"},
		{"too long", url.Values{"channel": {slackfake.ChannelID}, "ts": {ts}, "text": {strings.Repeat("x", 40001)}}, slackfake.BotToken, "msg_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, body := call(t, f, "chat.update", tt.form, tt.bearer)
			if body["ok"] != false || body["error"] != tt.want {
				t.Errorf("body %v, want error %s", body, tt.want)
			}
		})
	}
	if msgs := f.Messages(slackfake.ChannelID); msgs[0].Text != "second" || msgs[1].Text != "mine" {
		t.Errorf("a refused update changed a message: %+v", msgs)
	}

	f.Inject429("chat.update", 1, 4)
	_, _, _, err = api.UpdateMessage(slackfake.ChannelID, ts, slack.MsgOptionText("third", false))
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); !ok || rl.RetryAfter != 4*time.Second {
		t.Errorf("err %v, want RateLimitedError of 4s", err)
	}
	f.InjectError("chat.update", "edit_window_closed", 1)
	_, _, _, err = api.UpdateMessage(slackfake.ChannelID, ts, slack.MsgOptionText("third", false))
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); !ok || se.Err != "edit_window_closed" {
		t.Errorf("err %v, want edit_window_closed", err)
	}
	_, _, _, err = api.UpdateMessage(slackfake.ChannelID, ts, slack.MsgOptionText("third", false),
		slack.MsgOptionBlocks())
	if err != nil || f.Messages(slackfake.ChannelID)[0].Text != "third" {
		t.Errorf("update after the injections: %v", err)
	}
}
