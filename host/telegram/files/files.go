// Package files opens Telegram files by file_id without exposing the bot token.
//
// A download URL is <api>/file/bot<token>/<file_path> (Bot API, "getFile"): it must never reach a
// log, an error or a client. Client resolves file_id with getFile and streams the bytes itself;
// every error it returns has the token removed.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
)

// DefaultAPIURL is the cloud Bot API.
const DefaultAPIURL = "https://api.telegram.org"

var (
	// ErrTooLarge means Telegram will not hand the file to a bot: it is over the 20 MB download limit.
	ErrTooLarge = errors.New("telegram file is too big for bots to download (over 20 MB)")
	// ErrNotFound means Telegram does not know the file_id (mistyped, tampered, or from another bot).
	ErrNotFound = errors.New("telegram file not found: wrong or unknown file_id")
)

// Info describes an opened file.
type Info struct {
	// Name is the base of Telegram's file_path (e.g. "file_3.pdf"), not the name the user gave;
	// that one is in the message.
	Name string
	// Size is the size in bytes, -1 if Telegram did not say.
	Size int64
	// MIMEType is the download's Content-Type, else guessed from Name's extension; may be empty.
	MIMEType string
}

// Client opens files by file_id. The zero value needs only Token.
type Client struct {
	// APIURL is the Bot API base URL without a trailing slash (DefaultAPIURL when empty).
	APIURL string
	// Token is the bot token.
	Token string
	// HTTPClient makes the calls (http.DefaultClient when nil). Give it no overall Timeout if large
	// files stream slowly: Open's ctx bounds the download instead.
	HTTPClient *http.Client
}

func (c *Client) apiURL() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(c.APIURL, "/")
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

// Open resolves fileID with getFile and streams the file. The caller must close the reader;
// cancelling ctx aborts the download. Errors are ErrTooLarge, ErrNotFound or others, never with
// the token in them.
func (c *Client) Open(ctx context.Context, fileID string) (io.ReadCloser, Info, error) {
	if fileID == "" {
		return nil, Info{}, fmt.Errorf("open telegram file: %w", ErrNotFound)
	}
	f, err := c.getFile(ctx, fileID)
	if err != nil {
		return nil, Info{}, err
	}
	body, info, err := c.download(ctx, f)
	if errors.Is(err, errLinkExpired) {
		// A file_path link lives about an hour; ask for a fresh one once (Bot API, getFile).
		if f, err = c.getFile(ctx, fileID); err != nil {
			return nil, Info{}, err
		}
		body, info, err = c.download(ctx, f)
	}
	if err != nil {
		return nil, Info{}, err
	}
	return body, info, nil
}

func (c *Client) getFile(ctx context.Context, fileID string) (*telego.File, error) {
	bot, err := telego.NewBot(c.Token, telego.WithAPIServer(c.apiURL()),
		telego.WithHTTPClient(c.httpClient()), telego.WithDiscardLogger())
	if err != nil {
		return nil, fmt.Errorf("telegram getFile: %s", scrub(err.Error(), c.Token))
	}
	f, err := bot.GetFile(ctx, &telego.GetFileParams{FileID: fileID})
	if err != nil {
		var apiErr *ta.Error
		if errors.As(err, &apiErr) {
			switch {
			case apiErr.ErrorCode == http.StatusBadRequest && strings.Contains(apiErr.Description, "file is too big"):
				return nil, fmt.Errorf("telegram getFile: %w", ErrTooLarge)
			case apiErr.ErrorCode == http.StatusBadRequest && strings.Contains(apiErr.Description, "file_id"):
				return nil, fmt.Errorf("telegram getFile: %w (%s)", ErrNotFound, apiErr.Description)
			}
			return nil, fmt.Errorf("telegram getFile: %d %s", apiErr.ErrorCode, apiErr.Description)
		}
		// Transport errors quote the request URL, which holds the token: keep only scrubbed text.
		return nil, fmt.Errorf("telegram getFile: %s", scrub(err.Error(), c.Token))
	}
	if f.FilePath == "" {
		return nil, errors.New("telegram getFile: no file_path in the answer")
	}
	return f, nil
}

// errLinkExpired is a 404 on the download: the file_path link expired.
var errLinkExpired = errors.New("telegram file link expired")

func (c *Client) download(ctx context.Context, f *telego.File) (io.ReadCloser, Info, error) {
	u := c.apiURL() + "/file/bot" + c.Token + "/" + f.FilePath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, Info{}, fmt.Errorf("telegram file download: %s", scrub(err.Error(), c.Token))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, Info{}, fmt.Errorf("telegram file download: %s", scrub(err.Error(), c.Token))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, Info{}, errLinkExpired
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, Info{}, fmt.Errorf("telegram file download: HTTP %d", resp.StatusCode)
	}
	info := Info{Name: path.Base(f.FilePath), Size: f.FileSize}
	if info.Size == 0 {
		info.Size = resp.ContentLength
	}
	if ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && ct != "application/octet-stream" {
		info.MIMEType = ct
	} else if t := mime.TypeByExtension(path.Ext(info.Name)); t != "" {
		info.MIMEType, _, _ = mime.ParseMediaType(t)
	}
	return &scrubbedBody{ReadCloser: resp.Body, token: c.Token}, info, nil
}

// scrubbedBody keeps the token out of read errors too.
type scrubbedBody struct {
	io.ReadCloser
	token string
}

func (b *scrubbedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("telegram file download: %s", scrub(err.Error(), b.token))
	}
	return n, err
}

// tokenInURL matches a bot token in a Bot API URL path.
var tokenInURL = regexp.MustCompile(`bot\d+:[\w-]+`)

func scrub(text, token string) string {
	if token != "" {
		text = strings.ReplaceAll(text, token, "<token>")
	}
	return tokenInURL.ReplaceAllString(text, "bot<token>")
}
