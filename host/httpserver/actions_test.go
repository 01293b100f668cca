package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// actionChannel answers every webhook with one action: its kind is the
// path, its conversation the body, its id the query.
type actionChannel struct{ sdk.Channel }

func (actionChannel) HandleWebhook(_ context.Context, r sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: 200, Body: []byte("ok"), Actions: []sdk.Action{{
		Kind: sdk.ActionKind(strings.TrimPrefix(r.Path, "/")), ConversationID: string(r.Body), ExternalID: r.RawQuery,
	}}}, nil
}

// fakeActions is a ReplyStore and ActionStore: conversation c1 exists,
// "down" fails, actions are applied once per id.
type fakeActions struct {
	fakeReplies
	mu      sync.Mutex
	applied map[string]bool
}

func (f *fakeActions) ApplyActions(_ context.Context, _ string, as []sdk.Action) ([]sdk.ActionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sdk.ActionResult
	for _, a := range as {
		switch {
		case a.ConversationID == "down":
			return out, errors.New("database is down")
		case a.Kind != sdk.ActionClose:
			return out, fmt.Errorf("%w: kind %q", store.ErrInvalidAction, a.Kind)
		case a.ConversationID != "c1":
			return out, fmt.Errorf("conversation %q: %w", a.ConversationID, store.ErrUnknownConversation)
		}
		out = append(out, sdk.ActionResult{Duplicate: f.applied[a.ExternalID], ConversationID: "c1", State: sdk.StateClosed, Changed: true})
		f.applied[a.ExternalID] = true
	}
	return out, nil
}

func TestHookActions(t *testing.T) {
	st := &fakeActions{applied: map[string]bool{}}
	notified := 0
	srv := httptest.NewServer(Handler(Config{
		Channels: fakeChannels{"desk": actionChannel{}}, Replies: st, Notify: func() { notified++ }, MaxBodyBytes: 64,
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, path, body string
		status, notified int
	}{
		{"applied", "/hooks/desk/close?e1", "c1", 200, 1},
		{"a desk retry", "/hooks/desk/close?e1", "c1", 200, 1},
		{"unknown conversation", "/hooks/desk/close?e2", "nope", 422, 1},
		{"unknown kind", "/hooks/desk/archive?e3", "c1", 422, 1},
		{"store down", "/hooks/desk/close?e4", "down", 503, 1},
		{"another action", "/hooks/desk/close?e5", "c1", 200, 2},
	} {
		resp, body := post(t, srv.URL+tc.path, "", tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d (%s), want %d", tc.name, resp.StatusCode, body, tc.status)
		}
		if notified != tc.notified {
			t.Errorf("%s: dispatcher woken %d times in all, want %d", tc.name, notified, tc.notified)
		}
	}
}
