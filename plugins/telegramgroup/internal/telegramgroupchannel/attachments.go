package telegramgroupchannel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// signRef makes an attachment ref of a file_id: the id and an HMAC of it
// keyed by the token, so OpenAttachment fetches only files this plugin
// handed out.
func (st *state) signRef(fileID string) string {
	return fileID + "." + refMAC(st.cfg.BotToken, fileID)
}

func refMAC(token, fileID string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("parley telegramgroup file " + fileID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// OpenAttachment implements [sdk.AttachmentOpener]: it streams a file an
// agent posted in a topic (getFile, then the download), for the host to
// send to the customer with the customer-facing bot.
func (c *Channel) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	st, err := c.state.Get()
	if err != nil {
		return nil, sdk.FileInfo{}, err
	}
	i := strings.LastIndexByte(ref, '.')
	if i <= 0 || !hmac.Equal([]byte(ref[i+1:]), []byte(refMAC(st.cfg.BotToken, ref[:i]))) {
		return nil, sdk.FileInfo{}, sdk.Permanent(errors.New("not an attachment this channel handed out"))
	}
	f, err := st.bot.GetFile(ctx, &telego.GetFileParams{FileID: ref[:i]})
	if err != nil {
		return nil, sdk.FileInfo{}, classify("getFile", err, st.cfg.BotToken)
	}
	if f.FilePath == "" {
		return nil, sdk.FileInfo{}, errors.New("telegram getFile: no file_path in the answer")
	}
	base := DefaultAPIURL
	if st.cfg.APIURL != nil {
		base = st.cfg.APIURL.String()
	}
	u := base + "/file/bot" + st.cfg.BotToken + "/" + (&url.URL{Path: f.FilePath}).EscapedPath()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, sdk.FileInfo{}, errors.New("telegram file download: bad api_url")
	}
	resp, err := c.httpClient.Do(req)
	if err := deskhttp.Check(resp, scrub(err, st.cfg.BotToken)); err != nil {
		return nil, sdk.FileInfo{}, fmt.Errorf("telegram file download: %w", scrub(err, st.cfg.BotToken))
	}
	return resp.Body, sdk.FileInfo{Name: path.Base(f.FilePath), MIMEType: resp.Header.Get("Content-Type"), Size: f.FileSize}, nil
}
