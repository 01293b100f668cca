package httpserver

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/filelink"
)

// ErrFileTooLarge is returned by a FileOpener when Telegram will not let a
// bot download the file.
var ErrFileTooLarge = errors.New("file is too big for a bot to download")

// FileOpener streams a Telegram file by file_id.
type FileOpener interface {
	Open(ctx context.Context, fileID string) (io.ReadCloser, int64, error)
}

// files serves /files/<token>.
type files struct {
	signer *filelink.Signer
	opener FileOpener
	log    hclog.Logger
}

func (f *files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The file is the customer's, its type whatever they claimed: a browser
	// opening it inline must neither sniff it into HTML nor run anything in
	// this origin (sandbox gives it a unique origin, no scripts, no forms).
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := strings.TrimPrefix(r.URL.Path, "/files/")
	ref, err := f.signer.Verify(token)
	switch {
	case errors.Is(err, filelink.ErrExpired):
		f.log.Info("expired file link", "remote", r.RemoteAddr)
		http.Error(w, "this file link has expired; ask for the message to be shared again", http.StatusGone)
		return
	case err != nil:
		f.log.Warn("invalid file link", "remote", r.RemoteAddr)
		http.NotFound(w, r)
		return
	}
	rc, size, err := f.opener.Open(r.Context(), ref.FileID)
	if err != nil {
		if errors.Is(err, ErrFileTooLarge) {
			f.log.Info("file too large for a bot to download", "file", ref.Name)
			http.Error(w, "this file is larger than Telegram lets bots download (20 MB); ask the user to send it another way", http.StatusRequestEntityTooLarge)
			return
		}
		// The error may come from Telegram's file URL; it is logged by the
		// opener without the token and never shown to the client.
		f.log.Error("opening a file failed", "file", ref.Name, "error", err)
		http.Error(w, "the file could not be fetched from Telegram; try again later", http.StatusBadGateway)
		return
	}
	defer rc.Close()
	ctype := ref.MIMEType
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if name := ref.Name; name != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	} else {
		w.Header().Set("Content-Disposition", "attachment")
	}
	if size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		f.log.Warn("streaming a file was cut short", "file", ref.Name, "error", err)
	}
}
