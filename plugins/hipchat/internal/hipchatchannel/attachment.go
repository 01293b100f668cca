package hipchatchannel

import (
	"context"
	"io"
	"mime"
	"net/url"
	"path"

	"github.com/parley-dev/parley/sdk"
)

// OpenAttachment streams a file an agent shared in the room. ref is the
// file's URL from the webhook (HipChat sends no separate file id).
func (c *Channel) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	st, err := c.state.Get()
	if err != nil {
		return nil, sdk.FileInfo{}, err
	}
	f, err := st.client.Download(ctx, ref)
	if err != nil {
		return nil, sdk.FileInfo{}, classify(err, st.cfg.Room)
	}
	info := sdk.FileInfo{Name: fileName(ref), MIMEType: f.ContentType, Size: max(f.Size, 0)}
	if mt, _, err := mime.ParseMediaType(f.ContentType); err == nil {
		info.MIMEType = mt
	}
	return f.Body, info, nil
}

// fileName is the last path segment of a file URL, decoded.
func fileName(ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return "file"
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" || name == "" {
		return "file"
	}
	return name
}
