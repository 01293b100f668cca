package webhookchannel_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/parley-dev/parley/sdk/signature"
)

// receiver is a fake of the operator's endpoint: a real HTTP server on
// 127.0.0.1 that checks the signature like a receiver should and records
// what arrived.
type receiver struct {
	*httptest.Server
	secret string

	mu       sync.Mutex
	bodies   [][]byte
	status   int
	header   http.Header
	answer   string
	badSigs  int
	hang     bool
	released chan struct{}
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{secret: secret, status: http.StatusOK, header: http.Header{}, released: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		close(r.released)
		r.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	hang := r.hang
	r.mu.Unlock()
	if hang {
		select {
		case <-req.Context().Done():
		case <-r.released:
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		signature.VerifyHMACSHA256([]byte(r.secret), body, req.Header.Get("X-Parley-Signature")) != nil {
		r.badSigs++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.bodies = append(r.bodies, body)
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.answer)
}

func (r *receiver) respond(status int, answer string, header http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.answer = status, answer
	if header != nil {
		r.header = header
	}
}

func (r *receiver) received(t *testing.T) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, b := range r.bodies {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("receiver got invalid JSON %q: %v", b, err)
		}
		out = append(out, m)
	}
	return out
}
