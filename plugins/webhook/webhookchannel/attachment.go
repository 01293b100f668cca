package webhookchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// MaxAttachment is the largest reply attachment fetched: Telegram bots can
// upload at most 50 MB.
const MaxAttachment = 50 << 20

// OpenAttachment implements sdk.AttachmentOpener: it GETs the attachment's
// URL and streams the body, failing permanently past MaxAttachment. URLs
// that lead (directly or by a redirect) to a non-public address fail
// permanently unless allow_private_urls is set: the URL comes from the
// desk's reply, and the plugin must not become a way into the operator's
// network or the cloud metadata service.
func (c *Channel) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	st, err := c.state.Get()
	if err != nil {
		return nil, sdk.FileInfo{}, err
	}
	u, err := url.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, sdk.FileInfo{}, sdk.Permanent(errors.New("attachment ref is not an http or https URL"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("build request: %w", stripURL(err)))
	}
	req.Header.Set("User-Agent", deskhttp.UserAgent(Name, c.opts.Version))
	resp, err := st.files.Do(req)
	if err != nil {
		err = fmt.Errorf("get attachment from %s: %w", where(u), stripURL(err))
		if errors.Is(err, errPrivateAddress) {
			err = sdk.Permanent(err)
		}
		return nil, sdk.FileInfo{}, err
	}
	if err := answerError(resp, where(u)); err != nil {
		return nil, sdk.FileInfo{}, err
	}
	if resp.ContentLength > MaxAttachment {
		resp.Body.Close()
		return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("attachment is %d bytes, over the 50 MB limit", resp.ContentLength))
	}
	info := sdk.FileInfo{Name: path.Base(u.Path), Size: max(resp.ContentLength, 0)}
	if info.Name == "/" || info.Name == "." {
		info.Name = ""
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		info.Name = path.Base(params["filename"])
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		info.MIMEType = mt
	}
	return &limitedBody{rc: resp.Body, left: MaxAttachment}, info, nil
}

// limitedBody fails once more than MaxAttachment bytes arrive, for servers
// that send no Content-Length or a wrong one.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, sdk.Permanent(errors.New("attachment is over the 50 MB limit"))
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n - int(-l.left), sdk.Permanent(errors.New("attachment is over the 50 MB limit"))
	}
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }
