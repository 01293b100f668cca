package slackchannel

import (
	"context"
	"fmt"
	"io"

	"github.com/parley-dev/parley/sdk"
)

// OpenAttachment implements [sdk.AttachmentOpener]: ref is a Slack file id
// from a reply. files.info gives a fresh private URL (event payloads may be
// partial), and the bytes are streamed with the bot token (files:read).
func (c *Channel) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	st, err := c.configured()
	if err != nil {
		return nil, sdk.FileInfo{}, err
	}
	f, _, _, err := st.api.GetFileInfoContext(ctx, ref, 0, 0)
	if err != nil {
		return nil, sdk.FileInfo{}, classify("files.info", err)
	}
	if f.IsExternal {
		return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("file %s is stored outside Slack", ref))
	}
	src := firstNonEmpty(f.URLPrivateDownload, f.URLPrivate)
	if src == "" {
		return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("file %s has no download URL", ref))
	}
	info := sdk.FileInfo{Name: firstNonEmpty(f.Name, f.Title, f.ID), MIMEType: f.Mimetype, Size: int64(f.Size)}
	// slack-go writes the download into an io.Writer; a pipe turns that
	// into the stream the host reads, without holding the file in memory.
	pr, pw := io.Pipe()
	go func() {
		err := st.api.GetFileContext(ctx, src, pw)
		if err != nil {
			err = classify("file download", err)
		}
		_ = pw.CloseWithError(err)
	}()
	return pr, info, nil
}
