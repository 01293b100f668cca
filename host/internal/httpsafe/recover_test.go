package httpsafe

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestRecoverAnswers500AndLogsOneLine(t *testing.T) {
	var logs bytes.Buffer
	h := Recover(hclog.New(&hclog.LoggerOptions{Output: &logs}), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/files/secret-signed-token")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "internal error") {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	out := logs.String()
	if !strings.Contains(out, "boom") || !strings.Contains(out, `/files`) || strings.Count(out, "\n") != 1 {
		t.Errorf("log = %q, want one line naming the panic and the path's first segment", out)
	}
	if strings.Contains(out, "secret-signed-token") || strings.Contains(out, "goroutine") {
		t.Errorf("log leaks the path or a stack trace: %q", out)
	}
}
