package hipchatchannel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/plugins/hipchat/internal/hipchatchannel"
	"github.com/parley-dev/parley/sdk"
)

const secret = "s3cret-path-segment-0123"

// testHost is the host as far as replies go: it knows the thread refs the
// channel delivered to and rejects others as the real host does.
type testHost struct {
	mu      sync.Mutex
	known   map[string]bool
	replies []sdk.Reply
	actions []sdk.Action
}

func (h *testHost) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.known[string(r.ThreadRef)] {
		return sdk.PostReplyResult{}, sdk.Permanent(errors.New("unknown conversation"))
	}
	h.replies = append(h.replies, r)
	return sdk.PostReplyResult{ConversationID: "c" + string(r.ThreadRef)}, nil
}

// PostAction records a and, like the real host, refuses a thread ref it
// has no conversation for.
func (h *testHost) PostAction(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.known[string(a.ThreadRef)] {
		return sdk.ActionResult{}, sdk.Permanent(errors.New("unknown conversation"))
	}
	h.actions = append(h.actions, a)
	return sdk.ActionResult{ConversationID: "c" + string(a.ThreadRef), Changed: true}, nil
}

func (h *testHost) Actions() []sdk.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Action(nil), h.actions...)
}

func (h *testHost) OpenFile(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	return nil, sdk.FileInfo{}, errors.New("no files")
}

func (h *testHost) Replies() []sdk.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Reply(nil), h.replies...)
}

// env is a configured channel, its fake HipChat, and a public hook URL
// that forwards to HandleWebhook the way the host's /hooks/<channel> does.
type env struct {
	fake *hipchatfake.Server
	ch   *hipchatchannel.Channel
	host *testHost
	hook string
}

func newEnv(t *testing.T, fopts hipchatfake.Options, cfg map[string]any) *env {
	t.Helper()
	fake, err := hipchatfake.New(fopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	e := &env{fake: fake, ch: hipchatchannel.New(hipchatchannel.Options{Version: "test"}), host: &testHost{known: map[string]bool{}}}
	srv := httptest.NewServer(http.HandlerFunc(e.serveHook))
	t.Cleanup(srv.Close)
	e.hook = srv.URL + "/hooks/hipchat"
	full := map[string]any{"server_url": fake.URL(), "room": itoa(fake.RoomID()), "token": fake.Token(), "webhook_secret": secret}
	for k, v := range cfg {
		full[k] = v
	}
	if resp := e.configure(t, full); len(resp.Errors) > 0 {
		t.Fatalf("Configure: %v", resp.Errors)
	}
	return e
}

func (e *env) configure(t *testing.T, cfg map[string]any) sdk.ConfigureResponse {
	t.Helper()
	resp, err := e.ch.Configure(context.Background(), sdk.ConfigureRequest{ChannelName: "hipchat", Config: mustJSON(t, cfg), HookBaseURL: e.hook, Host: e.host})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return resp
}

func (e *env) serveHook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	resp, err := e.ch.HandleWebhook(r.Context(), sdk.WebhookRequest{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/hooks/hipchat"),
		RawQuery: r.URL.RawQuery, Header: r.Header, Body: body})
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// deliver posts a text message of conversation n and marks n known.
func (e *env) deliver(t *testing.T, n int64, m sdk.Message) (sdk.DeliverResponse, error) {
	t.Helper()
	resp, err := e.ch.Deliver(context.Background(), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "conv", Number: n},
		Contact:      sdk.Contact{TelegramUserID: 7, FirstName: "Ivan", LastName: "Petrov", Username: "ivan_p"},
		Message:      m,
	})
	if err == nil {
		e.host.mu.Lock()
		e.host.known[string(resp.ThreadRef)] = true
		e.host.mu.Unlock()
	}
	return resp, err
}

func (e *env) say(t *testing.T, text string, file *hipchatfake.File) []hipchatfake.Delivery {
	t.Helper()
	_, ds, err := e.fake.SendRoomMessage(context.Background(), e.fake.RoomID(), hipchatfake.Message{Text: text, File: file})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
