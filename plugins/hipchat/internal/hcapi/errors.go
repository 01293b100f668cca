package hcapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-dev/parley/sdk/deskhttp"
)

// The rate-limit headers HipChat sends: an overall 5-minute window per
// token, and flood control per room on message-producing calls. Resets are
// epoch seconds.
const (
	HeaderRateLimit        = "X-Ratelimit-Limit"
	HeaderRateRemaining    = "X-Ratelimit-Remaining"
	HeaderRateReset        = "X-Ratelimit-Reset"
	HeaderFloodLimit       = "X-Floodcontrol-Limit"
	HeaderFloodRemaining   = "X-Floodcontrol-Remaining"
	HeaderFloodReset       = "X-Floodcontrol-Reset"
	maxRetryAfter          = 5 * time.Minute
	minRetryAfterPastReset = time.Second
	maxErrorMessageBytes   = 300
)

// Error is a non-2xx answer from HipChat.
type Error struct {
	// Op names the call, e.g. "send room notification".
	Op     string
	Status int
	// Type and Message come from HipChat's error envelope when the body is
	// one (proxies may answer HTML; then both are empty).
	Type    string
	Message string
	// RetryAfter is the wait a 429 implies: until the exhausted window's
	// reset, zero for other statuses.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("hipchat: %s: HTTP %d", e.Op, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	} else if e.Type != "" {
		s += ": " + e.Type
	}
	return s
}

// StatusOf returns the HTTP status of an [*Error] in err's chain, 0 if none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func (c *Client) newError(op string, resp *http.Response, body []byte) *Error {
	e := &Error{Op: op, Status: resp.StatusCode}
	var env struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Message, e.Type = env.Error.Message, env.Error.Type
		if len(e.Message) > maxErrorMessageBytes {
			e.Message = e.Message[:maxErrorMessageBytes] + "…"
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = c.retryAfter(resp.Header)
	}
	return e
}

// retryAfter reads how long to wait after a 429. HipChat sends no
// Retry-After: the wait runs until the reset of whichever window is
// exhausted (flood control first, it is the shorter one). A reset in the
// past (clock skew) still waits a moment. Without either, a Retry-After
// (proxies in front of on-prem servers add one) is read with
// deskhttp.ParseRetryAfter, and with none usable the wait is
// deskhttp.FallbackRetryAfter, as in every plugin.
func (c *Client) retryAfter(h http.Header) time.Duration {
	now := c.now()
	pick := func(remaining, reset string) (time.Duration, bool) {
		rs := h.Get(reset)
		if rs == "" {
			return 0, false
		}
		if rem := h.Get(remaining); rem != "" && rem != "0" {
			return 0, false
		}
		sec, err := strconv.ParseInt(rs, 10, 64)
		if err != nil {
			return 0, false
		}
		d := time.Unix(sec, 0).Sub(now)
		if d < minRetryAfterPastReset {
			d = minRetryAfterPastReset
		}
		return min(d, maxRetryAfter), true
	}
	if d, ok := pick(HeaderFloodRemaining, HeaderFloodReset); ok {
		return d
	}
	if d, ok := pick(HeaderRateRemaining, HeaderRateReset); ok {
		return d
	}
	if d, ok := deskhttp.ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return min(d, maxRetryAfter)
	}
	return deskhttp.FallbackRetryAfter
}
