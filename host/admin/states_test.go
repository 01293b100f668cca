package admin_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

func TestStatusPageCountsConversationsByState(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for i, chat := range []int64{43, 44} {
		if _, err := w.store.CommitInbound(ctx, store.Inbound{UpdateID: int64(10 + i), ChatID: chat,
			Messages: []sdk.Message{{ID: string(rune('x' + i)), Kind: sdk.KindText, Text: "hi"}}, Channels: []string{"desk"}}); err != nil {
			t.Fatal(err)
		}
	}
	c43, _ := w.store.ConversationByChat(ctx, 43)
	c44, _ := w.store.ConversationByChat(ctx, 44)
	if _, err := w.store.ApplyAction(ctx, "desk", sdk.Action{Kind: sdk.ActionClaim, ConversationID: c43.ID, ExternalID: "a1", Agent: "Ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.CloseConversation(ctx, c44.ID, store.Closing{Reason: sdk.CloseByOperator, By: "an operator"}); err != nil {
		t.Fatal(err)
	}
	status, body, _ := get(t, nil, http.MethodGet, w.url+"/status", nil)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	for class, want := range map[string]string{"count-open": "1", "count-claimed": "1", "count-closed": "1"} {
		m := regexp.MustCompile(`class="` + class + `">(\d+)<`).FindStringSubmatch(body)
		if m == nil || m[1] != want {
			t.Errorf("%s: %v, want %s", class, m, want)
		}
	}
	if !regexp.MustCompile(`claimed <span class="muted">by Ann</span>`).MatchString(body) {
		t.Error("the claimed conversation does not show who claimed it")
	}
}
