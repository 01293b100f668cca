// Package httpsafe holds the last line of defence of the host's HTTP
// listeners: a handler that turns a panic into a 500 and one log line.
package httpsafe

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/go-hclog"
)

// maxPanicText bounds the panic value written to the log.
const maxPanicText = 200

// Recover returns h guarded against panics: a panicking request is
// answered 500 (when nothing was written yet) and logged as one error line
// with the method and the first path segment, without a stack trace.
// Handlers must not panic; this only keeps a bug from reaching net/http,
// whose own recovery prints a stack trace (and request data) to stderr,
// past the log redactor.
func Recover(log hclog.Logger, h http.Handler) http.Handler {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v) // net/http's sentinel for "drop the connection quietly"
			}
			text := fmt.Sprint(v)
			if len(text) > maxPanicText {
				text = text[:maxPanicText] + "…"
			}
			// Only the first segment of the path: the rest may be a signed
			// file token or a desk's secret webhook path.
			log.Error("handler failed unexpectedly; answered 500", "method", r.Method, "path", firstSegment(r.URL.Path), "error", text)
			if !tw.wrote {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(tw, r)
	})
}

// firstSegment returns "/seg" of a path, quoted if it is not plain text.
func firstSegment(p string) string {
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			p = p[:i]
			break
		}
	}
	if len(p) > 64 {
		p = p[:64]
	}
	return fmt.Sprintf("%q", p)
}

// trackingWriter remembers whether the response was started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushing, deadlines).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
