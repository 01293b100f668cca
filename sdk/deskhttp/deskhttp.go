// Package deskhttp is what a channel plugin needs to call a desk's HTTP
// API the way the host expects: a client with bounded timeouts and a
// User-Agent naming the plugin, and [Check], which turns the answer into
// nil or an error marked for the host's retry policy (sdk.RetryAfter,
// sdk.Permanent, or plain for "retry with backoff").
//
//	client := deskhttp.NewClient("mydesk", sdk.BuildVersion())
//	resp, err := client.Do(req)
//	if err := deskhttp.Check(resp, err); err != nil {
//		return sdk.DeliverResponse{}, err
//	}
//	defer resp.Body.Close()
package deskhttp

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// Timeouts of [NewClient]. Overall bounds one request from dial to the
// last byte of the body; set the returned client's Timeout to change it
// (a large upload may need more).
const (
	DialTimeout           = 10 * time.Second
	TLSHandshakeTimeout   = 10 * time.Second
	ResponseHeaderTimeout = 30 * time.Second
	OverallTimeout        = 60 * time.Second
)

// NewClient returns an *http.Client for the desk's API: connect and TLS
// handshake within 10 s, response headers within 30 s, the whole request
// within 60 s, and a User-Agent of "parley-channel-<plugin>/<version>" on
// every request that does not set its own. Pass what Do returns through
// [Check]: it classifies the answer and removes query strings (where
// tokens travel) from the error's URL.
func NewClient(plugin, version string) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = TLSHandshakeTimeout
	base.ResponseHeaderTimeout = ResponseHeaderTimeout
	return &http.Client{
		Timeout:   OverallTimeout,
		Transport: &userAgent{base: base, value: UserAgent(plugin, version)},
	}
}

// UserAgent is "parley-channel-<plugin>/<version>", the User-Agent of
// [NewClient]'s requests.
func UserAgent(plugin, version string) string {
	if version == "" {
		version = "dev"
	}
	return "parley-channel-" + plugin + "/" + version
}

type userAgent struct {
	base  http.RoundTripper
	value string
}

func (u *userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
		req.Header.Set("User-Agent", u.value)
	}
	return u.base.RoundTrip(req)
}

// StatusError is a desk's answer outside 1xx-3xx. Its text names the
// desk's host and the status, never the path or query.
type StatusError struct {
	// Host is the desk's host name, from the request URL.
	Host string
	// StatusCode and Status are the answer's.
	StatusCode int
	Status     string
	// Header is the answer's header.
	Header http.Header
	// Body is the start of the answer's body (up to 4 KiB), for a plugin
	// to read the desk's error detail; it is not in Error().
	Body []byte
}

func (e *StatusError) Error() string {
	status := e.Status
	if status == "" {
		status = strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
	}
	if e.Host == "" {
		return "desk answered " + status
	}
	return e.Host + " answered " + status
}

// bodyLimit is how much of an error answer Check keeps.
const bodyLimit = 4 << 10

// Check classifies the result of an HTTP call to a desk (what
// [http.Client.Do] returned):
//
//   - err set: the error with query strings and credentials removed from
//     its URL, unmarked (the host retries with backoff: timeouts, refused
//     connections, resets); a cancelled context stays errors.Is-able.
//   - status below 400: nil; the caller reads and closes resp.Body.
//   - 429, and 503 with a Retry-After: a [*StatusError] marked with
//     sdk.RetryAfter and the wait the desk asked for ([RetryAfter]).
//   - 408, 409, 425, other 5xx: a [*StatusError], unmarked (retryable).
//   - any other 4xx: a [*StatusError] marked with sdk.Permanent.
//
// When Check returns an error for an answer it has read the start of the
// body and closed it.
func Check(resp *http.Response, err error) error {
	if err != nil {
		return Redact(err)
	}
	if resp == nil {
		return errors.New("deskhttp: no response and no error")
	}
	if resp.StatusCode < 400 {
		return nil
	}
	serr := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header}
	if resp.Request != nil && resp.Request.URL != nil {
		serr.Host = resp.Request.URL.Hostname()
	}
	if resp.Body != nil {
		serr.Body, _ = io.ReadAll(io.LimitReader(resp.Body, bodyLimit))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		resp.Body.Close()
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return sdk.RetryAfter(serr, RetryAfter(resp.Header))
	case code == http.StatusServiceUnavailable:
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return sdk.RetryAfter(serr, d)
		}
		return serr
	case code >= 500, code == http.StatusRequestTimeout, code == http.StatusConflict, code == http.StatusTooEarly:
		return serr
	default:
		return sdk.Permanent(serr)
	}
}

// Redact removes the query string, fragment and credentials from the URL
// in a *url.Error (what http.Client returns), so a token passed in a query
// never reaches a log. Other errors are returned as they are.
func Redact(err error) error {
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		return err
	}
	cp := *uerr
	cp.URL = redactURL(uerr.URL)
	if cp.URL == uerr.URL {
		return err
	}
	return &cp
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	if u.RawQuery == "" && u.Fragment == "" && u.User == nil {
		return raw
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	return u.String()
}

// FallbackRetryAfter is the wait for a 429 without a usable Retry-After
// (absent, or neither seconds nor an HTTP date): long enough that a desk
// which refused without saying for how long is not asked again at once,
// short enough that a conversation stalls for no more than half a minute.
const FallbackRetryAfter = 30 * time.Second

// MaxRetryAfter caps the wait a desk may ask for, so a misbehaving desk
// cannot park a conversation for days; the host asks again after it.
const MaxRetryAfter = time.Hour

// RetryAfter is the wait a 429 or 503 answer asks for in its Retry-After
// header, or [FallbackRetryAfter] when the header is absent or unusable.
func RetryAfter(h http.Header) time.Duration {
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), time.Now()); ok {
		return d
	}
	return FallbackRetryAfter
}

// ParseRetryAfter reads a Retry-After value (RFC 9110 section 10.2.3):
// whole seconds ("120") or an HTTP date, counted from now. A date in the
// past is a wait of 0; a wait beyond [MaxRetryAfter] is capped. ok is false
// for an empty or unreadable value.
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter), true
}
