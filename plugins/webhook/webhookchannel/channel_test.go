package webhookchannel_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
	"github.com/parley-dev/parley/sdk/plugintest"
	"github.com/parley-dev/parley/sdk/signature"
)

const secret = "webhook-test-secret"

func configured(t *testing.T, rcv *receiver, extra map[string]any) *webhookchannel.Channel {
	t.Helper()
	ch := webhookchannel.New(webhookchannel.Options{})
	cfg := map[string]any{"url": rcv.URL + "/parley?token=abc", "secret": secret}
	for k, v := range extra {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertConfigured(t, resp)
	return ch
}

func TestConfigureReportsEveryProblemByKey(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		keys []string
	}{
		{"empty", `{}`, []string{"url", "secret"}},
		{"bad url scheme and timeout", `{"url":"ftp://x","secret":"s","timeout":"soon"}`, []string{"url", "timeout"}},
		{"relative url", `{"url":"/hook","secret":"s"}`, []string{"url"}},
		{"wrong types", `{"url":5,"secret":true}`, []string{"url", "secret"}},
		{"negative timeout", `{"url":"https://x.io","secret":"s","timeout":"-1s"}`, []string{"timeout"}},
		{"unknown key", `{"url":"https://x.io","secret":"s","retries":3}`, []string{"retries"}},
		{"allow_private_urls not a bool", `{"url":"https://x.io","secret":"s","allow_private_urls":"yes"}`, []string{"allow_private_urls"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := webhookchannel.New(webhookchannel.Options{}).Configure(context.Background(), sdk.ConfigureRequest{Config: json.RawMessage(tc.cfg)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range resp.Errors {
				got = append(got, e.Key)
			}
			sort.Strings(got)
			want := slices.Sorted(slices.Values(tc.keys))
			if !slices.Equal(got, want) {
				t.Errorf("errors for keys %v, want %v (%v)", got, tc.keys, resp.Errors)
			}
		})
	}
}

// A table with three problems gets all three back in one answer, the
// misspelt key with the key it was meant to be.
func TestConfigureReportsThreeProblemsAtOnce(t *testing.T) {
	raw := json.RawMessage(`{"url":"ftp://x.io/hook","timout":"30s","allow_private_urls":"yes"}`)
	resp, err := webhookchannel.New(webhookchannel.Options{}).Configure(context.Background(), sdk.ConfigureRequest{Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range resp.Errors {
		got[e.Key] = e.Message
	}
	for _, key := range []string{"url", "secret", "allow_private_urls", "timout"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no error for %q; got %v", key, resp.Errors)
		}
	}
	if len(resp.Errors) != 4 {
		t.Errorf("got %d errors, want 4: %v", len(resp.Errors), resp.Errors)
	}
	if !strings.Contains(got["timout"], `did you mean "timeout"`) {
		t.Errorf("timout: %q does not suggest timeout", got["timout"])
	}
}

func TestUnconfiguredChannelSaysSo(t *testing.T) {
	_, err := webhookchannel.New(webhookchannel.Options{}).Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil))
	if !errors.Is(err, sdk.ErrNotConfigured) {
		t.Fatalf("Deliver before Configure: %v, want ErrNotConfigured", err)
	}
}

func TestDeliverPostsSignedJSONWithExactFields(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	var photo sdk.Message
	for _, m := range plugintest.SampleMessages() {
		if m.ID == "sample-photo" {
			photo = m
		}
	}
	resp, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(photo, nil))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.ThreadRef) != "conv-sample-1" || resp.DeskMessageID != "sample-photo" {
		t.Errorf("thread ref %q, desk id %q; want the conversation id and the message id", resp.ThreadRef, resp.DeskMessageID)
	}
	got := rcv.received(t)
	if len(got) != 1 {
		t.Fatalf("receiver got %d valid requests (%d badly signed)", len(got), rcv.badSigs)
	}
	want := map[string]any{
		"conversation_id": "conv-sample-1",
		"bot":             "default", // the sample conversation names no bot, as from a host before bots
		"conversation":    map[string]any{"id": "conv-sample-1", "number": float64(42), "state": "open"},
		"message": map[string]any{
			"id": "sample-photo", "kind": "photo", "text": "Photo: the damaged box", "time": "2024-05-06T10:00:00Z",
			"attachments": []any{map[string]any{
				"name": "photo.jpg", "mime_type": "image/jpeg", "size": float64(48213),
				"url": "http://127.0.0.1:1/files/signed-file-photo", "too_large": false,
			}},
		},
		"contact": map[string]any{
			"telegram_user_id": float64(100200300), "first_name": "Иван", "last_name": "Petrov",
			"username": "ivan_p", "language_code": "ru",
		},
	}
	if !reflect.DeepEqual(got[0], want) {
		g, _ := json.MarshalIndent(got[0], "", " ")
		t.Errorf("payload:\n%s", g)
	}
}

func TestDeliverNoticeAndEmptyAttachments(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	notice := sdk.Message{ID: "n1", Kind: sdk.KindNotice, Text: "The user blocked the bot.", Notice: &sdk.Notice{Code: sdk.NoticeUserBlocked}}
	if _, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(notice, []byte("conv-sample-1"))); err != nil {
		t.Fatal(err)
	}
	msg := rcv.received(t)[0]["message"].(map[string]any)
	if msg["kind"] != "notice" || msg["text"] != "The user blocked the bot." {
		t.Errorf("notice payload %v", msg)
	}
	if a, ok := msg["attachments"].([]any); !ok || len(a) != 0 {
		t.Errorf("attachments = %#v, want []", msg["attachments"])
	}
}

func TestDeliverOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		answer string
		header http.Header
		check  func(t *testing.T, resp sdk.DeliverResponse, err error)
	}{
		{"desk id from answer", 200, `{"id":"desk-77"}`, nil, func(t *testing.T, r sdk.DeliverResponse, err error) {
			if err != nil || r.DeskMessageID != "desk-77" {
				t.Errorf("got %q, %v", r.DeskMessageID, err)
			}
		}},
		{"numeric desk id", 201, `{"id":1234}`, nil, func(t *testing.T, r sdk.DeliverResponse, err error) {
			if err != nil || r.DeskMessageID != "1234" {
				t.Errorf("got %q, %v", r.DeskMessageID, err)
			}
		}},
		{"non-JSON 204", 204, ``, nil, func(t *testing.T, r sdk.DeliverResponse, err error) {
			if err != nil || r.DeskMessageID != "sample-text" {
				t.Errorf("got %q, %v", r.DeskMessageID, err)
			}
		}},
		{"429 carries Retry-After", 429, `slow down`, http.Header{"Retry-After": {"7"}}, func(t *testing.T, _ sdk.DeliverResponse, err error) {
			plugintest.AssertRetryAfter(t, err, 7*time.Second)
		}},
		{"429 without Retry-After waits the SDK's fallback", 429, ``, nil, func(t *testing.T, _ sdk.DeliverResponse, err error) {
			plugintest.AssertRetryAfter(t, err, deskhttp.FallbackRetryAfter)
		}},
		{"408 is retried", 408, `busy`, nil, func(t *testing.T, _ sdk.DeliverResponse, err error) {
			plugintest.AssertTemporary(t, err)
		}},
		{"3xx not followed is retried", 304, ``, nil, func(t *testing.T, _ sdk.DeliverResponse, err error) {
			plugintest.AssertTemporary(t, err)
		}},
		{"4xx is permanent with status and excerpt", 422, `{"error":"unknown conversation"}`, nil, func(t *testing.T, _ sdk.DeliverResponse, err error) {
			plugintest.AssertPermanent(t, err)
			if !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "unknown conversation") {
				t.Errorf("error %q lacks status or body excerpt", err)
			}
		}},
		{"5xx is retried", 503, `maintenance`, nil, func(t *testing.T, _ sdk.DeliverResponse, err error) {
			plugintest.AssertTemporary(t, err)
			if _, ok := sdk.RetryHint(err); ok {
				t.Errorf("5xx should use the host's backoff, got a retry hint: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newReceiver(t, secret)
			rcv.respond(tc.status, tc.answer, tc.header)
			ch := configured(t, rcv, nil)
			resp, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil))
			tc.check(t, resp, err)
			if err != nil {
				plugintest.AssertNoSecret(t, err.Error(), secret)
				plugintest.AssertNoSecret(t, err.Error(), "token=abc")
			}
		})
	}
}

func TestDeliverNetworkErrorIsRetriedAndHidesURL(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	rcv.Close()
	_, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil))
	plugintest.AssertTemporary(t, err)
	plugintest.AssertNoSecret(t, err.Error(), "token=abc")
}

func TestDeliverHonoursTimeoutAndContext(t *testing.T) {
	rcv := newReceiver(t, secret)
	rcv.mu.Lock()
	rcv.hang = true
	rcv.mu.Unlock()
	ch := configured(t, rcv, map[string]any{"timeout": "200ms"})
	done := make(chan error, 1)
	go func() {
		_, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil))
		done <- err
	}()
	select {
	case err := <-done:
		plugintest.AssertTemporary(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Deliver ignored its 200ms timeout")
	}
}

func signed(body string, headers ...string) sdk.WebhookRequest {
	req := sdk.WebhookRequest{Method: "POST", Path: "/", Body: []byte(body),
		Header: map[string][]string{"x-parley-signature": {signature.SignHMACSHA256([]byte(secret), []byte(body))}}}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header[headers[i]] = []string{headers[i+1]}
	}
	return req
}

func TestHandleWebhook(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	okReply := `{"conversation_id":"conv-1","id":"r-1","text":"On its way!","attachments":[{"name":"label.pdf","mime_type":"application/pdf","url":"https://files.example/label.pdf"}]}`
	tests := []struct {
		name    string
		req     sdk.WebhookRequest
		status  int
		errPart string
	}{
		{"valid reply", signed(okReply), 200, ""},
		{"missing signature", sdk.WebhookRequest{Method: "POST", Body: []byte(okReply)}, 401, "missing"},
		{"bad signature", signed(okReply, "X-Parley-Signature", "sha256="+strings.Repeat("0", 64)), 401, "mismatch"},
		{"signed with another secret", signed(okReply, "X-Parley-Signature", signature.SignHMACSHA256([]byte("other"), []byte(okReply))), 401, "mismatch"},
		{"malformed JSON", signed(`{"conversation_id":`), 400, "JSON"},
		{"id of wrong type", signed(`{"conversation_id":"c","id":5,"text":"x"}`), 400, `"id"`},
		{"missing conversation_id", signed(`{"id":"r","text":"x"}`), 400, "conversation_id"},
		{"missing id", signed(`{"conversation_id":"c","text":"x"}`), 400, `"id" is required`},
		{"nothing to send", signed(`{"conversation_id":"c","id":"r"}`), 400, "text"},
		{"attachment url not http", signed(`{"conversation_id":"c","id":"r","attachments":[{"url":"file:///etc/passwd"}]}`), 400, "attachments[0].url"},
		{"too large", signed(`{"text":"` + strings.Repeat("x", 1<<20) + `"}`), 413, "1 MiB"},
		{"GET", sdk.WebhookRequest{Method: "GET"}, 405, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ch.HandleWebhook(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			plugintest.AssertStatus(t, resp, tc.status)
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal(resp.Body, &body); err != nil {
				t.Fatalf("answer is not JSON: %q", resp.Body)
			}
			if tc.status != 200 {
				if len(resp.Replies) > 0 || body.OK || !strings.Contains(body.Error, tc.errPart) {
					t.Errorf("answer %s with %d replies; want an error mentioning %q and none", resp.Body, len(resp.Replies), tc.errPart)
				}
				plugintest.AssertNoSecret(t, string(resp.Body), secret)
				return
			}
			want := []sdk.Reply{{ConversationID: "conv-1", ExternalID: "r-1", Text: "On its way!", Format: sdk.FormatPlain,
				Attachments: []sdk.ReplyAttachment{{Ref: "https://files.example/label.pdf", Name: "label.pdf", MIMEType: "application/pdf"}}}}
			if !body.OK || !reflect.DeepEqual(resp.Replies, want) {
				t.Errorf("answer %s, replies %+v; want ok and %+v", resp.Body, resp.Replies, want)
			}
		})
	}
}

func TestOpenAttachment(t *testing.T) {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/label.pdf":
			w.Header().Set("Content-Type", "application/pdf; charset=binary")
			w.Header().Set("Content-Disposition", `attachment; filename="Shipping label.pdf"`)
			_, _ = io.WriteString(w, "%PDF-1.4 label")
		case "/huge":
			w.Header().Set("Content-Length", "60000000")
			w.WriteHeader(200)
		case "/endless": // no Content-Length: the limit must still hold
			buf := make([]byte, 1<<20)
			for i := 0; i < 51; i++ {
				if _, err := w.Write(buf); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	rcv := newReceiver(t, secret)
	// The file server listens on 127.0.0.1, which the guard refuses by default.
	ch := configured(t, rcv, map[string]any{"allow_private_urls": true})
	ctx := context.Background()

	rc, info, err := ch.OpenAttachment(ctx, files.URL+"/label.pdf")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "%PDF-1.4 label" || info.Name != "Shipping label.pdf" || info.MIMEType != "application/pdf" || info.Size != 14 {
		t.Errorf("got %q %+v", data, info)
	}

	_, _, err = ch.OpenAttachment(ctx, files.URL+"/huge")
	plugintest.AssertPermanent(t, err)
	if !strings.Contains(err.Error(), "50 MB") {
		t.Errorf("error %q does not name the limit", err)
	}

	rc, _, err = ch.OpenAttachment(ctx, files.URL+"/endless")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if !sdk.IsPermanent(err) || n > webhookchannel.MaxAttachment {
		t.Errorf("read %d bytes, err %v; want a permanent error at the 50 MB limit", n, err)
	}

	_, _, err = ch.OpenAttachment(ctx, files.URL+"/missing")
	plugintest.AssertPermanent(t, err)
	for _, ref := range []string{"file:///etc/passwd", "", "ftp://x/y"} {
		_, _, err := ch.OpenAttachment(ctx, ref)
		plugintest.AssertPermanent(t, err)
	}
}

// The version the build stamps (main passes sdk.BuildVersion) is what
// Describe reports and what the receiver sees in the User-Agent.
func TestVersionInDescribeAndUserAgent(t *testing.T) {
	agents := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents <- r.Header.Get("User-Agent")
	}))
	defer srv.Close()
	ch := webhookchannel.New(webhookchannel.Options{Version: "1.2.3"})
	desc, err := ch.Describe(context.Background())
	if err != nil || desc.Version != "1.2.3" {
		t.Fatalf("Describe version %q, %v; want 1.2.3", desc.Version, err)
	}
	raw, _ := json.Marshal(map[string]any{"url": srv.URL, "secret": secret})
	resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertConfigured(t, resp)
	if _, err := ch.Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil)); err != nil {
		t.Fatal(err)
	}
	if ua := <-agents; ua != "parley-channel-webhook/1.2.3" {
		t.Errorf("User-Agent %q, want parley-channel-webhook/1.2.3", ua)
	}
}
