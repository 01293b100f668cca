package hsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk/deskhttp"
)

// FieldError is one entry of a validation error's _embedded.errors.
type FieldError struct {
	Path          string `json:"path"`
	Message       string `json:"message"`
	RejectedValue any    `json:"rejectedValue,omitempty"`
}

// Error is a non-2xx answer from Help Scout.
type Error struct {
	// Op names the call, e.g. "create conversation".
	Op     string
	Status int
	// Message and LogRef come from a vnd.error body when there is one;
	// LogRef is Help Scout's support correlation id.
	Message string
	LogRef  string
	Fields  []FieldError
	// RetryAfter is the wait a 429 asked for (X-RateLimit-Retry-After or
	// Retry-After), zero otherwise.
	RetryAfter time.Duration
	// Location is set on a 301 (a merged conversation's new home).
	Location string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "help scout: %s: HTTP %d", e.Op, e.Status)
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(":")
		} else {
			b.WriteString(";")
		}
		if f.Path != "" {
			b.WriteString(" " + f.Path)
		}
		b.WriteString(" " + f.Message)
	}
	if e.LogRef != "" {
		b.WriteString(" (logRef " + e.LogRef + ")")
	}
	return b.String()
}

// StatusOf returns the HTTP status of an [*Error] in err's chain, 0 if none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// newError reads a failed response into an *Error. The body is parsed
// leniently: a vnd.error document when it is one, ignored otherwise.
func newError(op string, resp *http.Response, body []byte) *Error {
	e := &Error{Op: op, Status: resp.StatusCode, Location: resp.Header.Get("Location")}
	var doc struct {
		Message  string `json:"message"`
		LogRef   string `json:"logRef"`
		Embedded struct {
			Errors []FieldError `json:"errors"`
		} `json:"_embedded"`
	}
	if json.Unmarshal(body, &doc) == nil {
		e.Message, e.LogRef, e.Fields = doc.Message, doc.LogRef, doc.Embedded.Errors
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(resp.Header)
	}
	return e
}

// retryAfter reads Help Scout's X-RateLimit-Retry-After, or a plain
// Retry-After, with the SDK's one parser (seconds or an HTTP date); the
// SDK's fallback when neither is usable, since a 429 with no hint still
// means "not now".
func retryAfter(h http.Header) time.Duration {
	for _, k := range []string{"X-RateLimit-Retry-After", "Retry-After"} {
		if d, ok := deskhttp.ParseRetryAfter(h.Get(k), time.Now()); ok {
			return d
		}
	}
	return deskhttp.FallbackRetryAfter
}
