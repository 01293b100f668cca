package intake

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWebhookHandler(t *testing.T) {
	var handled []Update
	fail := false
	h := &WebhookHandler{Secret: "s3cret-token", MaxBody: 256, Handler: func(_ context.Context, b []Update) error {
		if fail {
			return errors.New("store down")
		}
		handled = append(handled, b...)
		return nil
	}}
	update := `{"update_id":77,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"hi"}}`
	cases := []struct {
		name, method, secret, body string
		storeDown                  bool
		status, handled            int
	}{
		{"committed", "POST", "s3cret-token", update, false, 200, 1},
		{"forged secret", "POST", "guess", update, false, 401, 0},
		{"no secret", "POST", "", update, false, 401, 0},
		{"store down", "POST", "s3cret-token", update, true, 500, 0},
		{"not an update", "POST", "s3cret-token", `{"hello":1}`, false, 400, 0},
		{"oversized", "POST", "s3cret-token", `{"update_id":1,"x":"` + strings.Repeat("a", 300) + `"}`, false, 413, 0},
		{"wrong method", "GET", "s3cret-token", "", false, 405, 0},
		{"undecodable but keyed", "POST", "s3cret-token", `{"update_id":78,"message":{"chat":"not an object"}}`, false, 200, 1},
	}
	for _, c := range cases {
		handled, fail = nil, c.storeDown
		req := httptest.NewRequest(c.method, "/telegram/webhook", strings.NewReader(c.body))
		if c.secret != "" {
			req.Header.Set(SecretHeader, c.secret)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status || len(handled) != c.handled {
			t.Errorf("%s: status %d, %d handled; want %d, %d", c.name, rec.Code, len(handled), c.status, c.handled)
		}
	}
	handled, fail = nil, false
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"update_id":78,"message":{"chat":"not an object"}}`))
	req.Header.Set(SecretHeader, "s3cret-token")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if len(handled) != 1 || handled[0].ID != 78 || handled[0].Update != nil || handled[0].DecodeErr == nil {
		t.Fatalf("an undecodable update must be handed on by id as unsupported: %+v", handled)
	}
}
