package hcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultServerURL is HipChat Cloud's API host (switched off in 2019; kept
// as the documented default, on-prem servers set their own).
const DefaultServerURL = "https://api.hipchat.com"

// Client calls the HipChat REST API v2 with one token. It is safe for
// concurrent use.
type Client struct {
	base   string // scheme://host[/prefix]/v2, no trailing slash
	host   string // host[:port] of base, the only host the token is sent to
	scheme string // of base: a token configured for https never goes over http
	token  string
	http   *http.Client
	now    func() time.Time
}

// Option changes a [Client].
type Option func(*Client)

// WithHTTPClient replaces http.DefaultClient (for private CAs or proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithClock replaces time.Now when turning rate-limit reset times into waits.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client for the server at serverURL ("https://hipchat.corp",
// with or without the trailing "/v2").
func New(serverURL, token string, opts ...Option) (*Client, error) {
	u, err := ParseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u.String(), host: u.Host, scheme: u.Scheme, token: token, http: http.DefaultClient, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	c.http = c.guardRedirects(c.http)
	return c, nil
}

// maxRedirects is net/http's default limit, kept when the caller's client
// has no redirect policy of its own.
const maxRedirects = 10

// guardRedirects returns a copy of hc that takes the token off a redirected
// request unless it goes to the configured host with the configured
// scheme. net/http drops Authorization on a redirect to another domain,
// but keeps it on one to a subdomain, another port, or the same host over
// plain http: an https server (or someone in its path) answering
// "302 Location: http://same-host/..." would otherwise get the token sent
// in clear text.
func (c *Client) guardRedirects(hc *http.Client) *http.Client {
	guarded := *hc
	next := hc.CheckRedirect
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !c.tokenMayGoTo(req.URL) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &guarded
}

// tokenMayGoTo reports whether u is on the configured host, port and
// scheme (https stays https; a server configured as http may stay http).
func (c *Client) tokenMayGoTo(u *url.URL) bool {
	return strings.EqualFold(u.Host, c.host) && (u.Scheme == c.scheme || u.Scheme == "https")
}

// ParseServerURL checks a server URL and returns its API base, ending in
// "/v2".
func ParseServerURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q is not an http(s) URL", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("server URL must not carry credentials, a query or a fragment")
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/v2") {
		p += "/v2"
	}
	u.Path, u.RawPath = p, ""
	return u, nil
}

// roomPath is the API path of a room addressed by numeric id or name.
func roomPath(room string) string { return "/room/" + url.PathEscape(room) }

// Notification is the body of a room notification.
type Notification struct {
	Message       string `json:"message"`
	MessageFormat string `json:"message_format,omitempty"`
	Color         string `json:"color,omitempty"`
	Notify        bool   `json:"notify"`
	From          string `json:"from,omitempty"`
}

// Notify posts a notification to a room (scope send_notification).
func (c *Client) Notify(ctx context.Context, room string, n Notification) error {
	_, err := c.do(ctx, "send room notification", http.MethodPost, roomPath(room)+"/notification", nil, n, nil)
	return err
}

// ProbeNotify asks the server whether the token may post notifications to
// the room, without posting anything (HipChat's auth_test).
func (c *Client) ProbeNotify(ctx context.Context, room string) error {
	q := url.Values{"auth_test": {"true"}}
	_, err := c.do(ctx, "check token", http.MethodPost, roomPath(room)+"/notification", q, Notification{Message: "auth test"}, nil)
	return err
}

// Webhook is a room webhook.
type Webhook struct {
	ID             int64  `json:"id,omitempty"`
	URL            string `json:"url"`
	Event          string `json:"event"`
	Pattern        string `json:"pattern,omitempty"`
	Name           string `json:"name,omitempty"`
	Authentication string `json:"authentication,omitempty"`
}

// Webhooks lists a room's webhooks (scope admin_room), following pages.
func (c *Client) Webhooks(ctx context.Context, room string) ([]Webhook, error) {
	var all []Webhook
	for start := 0; ; {
		var page struct {
			Items []Webhook `json:"items"`
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
		}
		q := url.Values{"start-index": {strconv.Itoa(start)}, "max-results": {"100"}}
		if _, err := c.do(ctx, "list room webhooks", http.MethodGet, roomPath(room)+"/webhook", q, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Links.Next == "" || len(page.Items) == 0 {
			return all, nil
		}
		start += len(page.Items)
	}
}

// CreateWebhook registers a room webhook (scope admin_room) and returns its id.
func (c *Client) CreateWebhook(ctx context.Context, room string, w Webhook) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	_, err := c.do(ctx, "create room webhook", http.MethodPost, roomPath(room)+"/webhook", nil, w, &out)
	return out.ID, err
}

// DeleteWebhook removes a room webhook (scope admin_room).
func (c *Client) DeleteWebhook(ctx context.Context, room string, id int64) error {
	_, err := c.do(ctx, "delete room webhook", http.MethodDelete, roomPath(room)+"/webhook/"+strconv.FormatInt(id, 10), nil, nil, nil)
	return err
}

// File is a downloaded file's body and what the server said about it.
type File struct {
	Body        io.ReadCloser
	ContentType string
	// Size is the Content-Length, -1 when unknown.
	Size int64
}

// Download fetches a file an agent shared (the file.url of a room
// message). The token is sent only when the file lives on the API server
// itself: HipChat Cloud kept files on a separate, unauthenticated store,
// and a token must never go to a host it was not issued for.
func (c *Client) Download(ctx context.Context, rawURL string) (File, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return File{}, errors.New("hipchat: file reference is not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return File{}, err
	}
	if c.tokenMayGoTo(u) {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return File{}, fmt.Errorf("hipchat: download file: %w", scrub(err))
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return File{}, c.newError("download file", resp, body)
	}
	return File{Body: resp.Body, ContentType: resp.Header.Get("Content-Type"), Size: resp.ContentLength}, nil
}

// do sends one API call; in is marshalled as JSON when non-nil and a 2xx
// body is decoded into out when non-nil.
func (c *Client) do(ctx context.Context, op, method, path string, q url.Values, in, out any) (*http.Response, error) {
	target := c.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("hipchat: %s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("hipchat: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hipchat: %s: %w", op, scrub(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("hipchat: %s: reading response: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp, c.newError(op, resp, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp, fmt.Errorf("hipchat: %s: decoding response: %w", op, err)
		}
	}
	return resp, nil
}

// scrub drops the request URL from a transport error: it is the server's
// URL only (tokens never go in URLs), but keeping errors to the cause makes
// them shorter and leaves nothing to leak if that ever changes.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
