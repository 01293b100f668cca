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
