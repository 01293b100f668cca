package hsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is Help Scout's API root; test servers replace it.
const DefaultBaseURL = "https://api.helpscout.net/"

// maxErrorBody bounds how much of a failed response is read for its
// vnd.error document.
const maxErrorBody = 64 << 10

// Options configure a [Client].
type Options struct {
	// BaseURL is the API root, DefaultBaseURL when empty.
	BaseURL string
	// AppID and AppSecret are the OAuth2 client credentials of a Help Scout
	// app ("My Apps").
	AppID, AppSecret string
	// HTTPClient is used for every call; http.DefaultClient's transport when
	// nil. Redirects are never followed: a 301 is how Help Scout says a
	// conversation was merged.
	HTTPClient *http.Client
	// Now is the clock for token expiry; time.Now when nil.
	Now func() time.Time
}

// Client calls the Help Scout Mailbox API 2.0. It is safe for concurrent
// use.
type Client struct {
	base      *url.URL
	appID     string
	appSecret string
	http      *http.Client
	now       func() time.Time

	// tokenMu serialises token fetches, so concurrent 401s cost one token
	// request rather than a stampede.
	tokenMu sync.Mutex
	token   string
	expires time.Time
}

// New returns a Client. It does no I/O; call [Client.Authenticate] to check
// the credentials.
func New(o Options) (*Client, error) {
	raw := o.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("api url %q is not an http(s) URL", raw)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	hc := &http.Client{}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Client{base: base, appID: o.AppID, appSecret: o.AppSecret, http: hc, now: now}, nil
}

// Authenticate fetches a fresh access token, proving the credentials work.
func (c *Client) Authenticate(ctx context.Context) error {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	return c.fetchTokenLocked(ctx)
}

// accessToken returns the cached token, fetching one when there is none or
// it is near expiry.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	if err := c.fetchTokenLocked(ctx); err != nil {
		return "", err
	}
	return c.token, nil
}

// dropToken forgets tok after a 401, unless another caller already
// replaced it.
func (c *Client) dropToken(tok string) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

func (c *Client) fetchTokenLocked(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{
		"grant_type": "client_credentials", "client_id": c.appID, "client_secret": c.appSecret,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("v2/oauth2/token"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	start := c.now()
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("help scout: get access token: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode != http.StatusOK {
		// The body shape of a refused token request is undocumented; only
		// the status is reported (and never the credentials).
		e := &Error{Op: "get access token", Status: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests {
			e.RetryAfter = retryAfter(resp.Header)
		}
		return e
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		return errors.New("help scout: get access token: response has no access_token")
	}
	life := time.Duration(tok.ExpiresIn) * time.Second
	if life <= 0 {
		life = 48 * time.Hour
	}
	// Renew at 90% of the lifetime so a token never expires mid-request.
	c.token, c.expires = tok.AccessToken, start.Add(life*9/10)
	return nil
}

func (c *Client) url(p string) string {
	u := *c.base
	rel, err := url.Parse(p)
	if err != nil {
		u.Path = path.Join(u.Path, p)
		return u.String()
	}
	return u.ResolveReference(rel).String()
}

// bodyFunc opens a request body; it is called again when a request is
// replayed after a token refresh.
type bodyFunc func() (io.ReadCloser, error)

func jsonBody(v any) (bodyFunc, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, nil
}

// do sends one request, refreshing the token and replaying once on a 401.
// A 2xx answer is decoded into out (when non-nil) and its header returned.
func (c *Client) do(ctx context.Context, op, method, p string, body bodyFunc, out any) (http.Header, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rc, err := body()
			if err != nil {
				return nil, fmt.Errorf("help scout: %s: %w", op, err)
			}
			rd = rc
		}
		req, err := http.NewRequestWithContext(ctx, method, c.url(p), rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/hal+json, application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("help scout: %s: %w", op, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			drain(resp)
			c.dropToken(tok)
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			return nil, newError(op, resp, raw)
		}
		defer resp.Body.Close()
		if out != nil && resp.StatusCode != http.StatusNoContent {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("help scout: %s: decode response: %w", op, err)
			}
		}
		return resp.Header, nil
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

// createdID reads the id of a created resource: Resource-ID, or the last
// segment of Location.
func createdID(op string, h http.Header) (int64, error) {
	if id, err := strconv.ParseInt(strings.TrimSpace(h.Get("Resource-ID")), 10, 64); err == nil {
		return id, nil
	}
	if loc := h.Get("Location"); loc != "" {
		if id, err := strconv.ParseInt(path.Base(strings.TrimRight(loc, "/")), 10, 64); err == nil {
			return id, nil
		}
	}
	return 0, fmt.Errorf("help scout: %s: created, but the answer names no Resource-ID", op)
}

func (c *Client) create(ctx context.Context, op, p string, body bodyFunc) (int64, error) {
	h, err := c.do(ctx, op, http.MethodPost, p, body, nil)
	if err != nil {
		return 0, err
	}
	return createdID(op, h)
}
