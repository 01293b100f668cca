package telegramtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// maxDownloadSize is the cloud API's getFile limit for bots (Bot API, getFile: 20 MB).
const maxDownloadSize = 20 << 20

// file is a file the fake knows: uploaded by the bot, added by a test, or large and bodiless.
type file struct {
	id       string
	uniqueID string
	name     string
	mime     string
	kind     string // photos, documents, voice, ... (the file_path folder)
	size     int64
	data     []byte // nil for AddLargeFile
	path     string // set by getFile
}

// newFileIDs returns a file_id and file_unique_id shaped like Telegram's (base64url, type prefix).
func newFileIDs(kind string) (id, unique string) {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	prefix := map[string]string{"photos": "AgACAgIAAxk", "voice": "AwACAgIAAxk", "videos": "BAACAgIAAxk",
		"music": "CQACAgIAAxk", "animations": "CgACAgIAAxk", "stickers": "CAACAgIAAxk", "video_notes": "DQACAgIAAxk"}[kind]
	if prefix == "" {
		prefix = "BQACAgIAAxk"
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), "AgAD" + base64.RawURLEncoding.EncodeToString(b[:9])
}

// FileInfo describes a file the fake holds.
type FileInfo struct {
	FileID       string
	FileUniqueID string
	Name         string
	MIMEType     string
	Size         int64
}

// AddFile stores data as a file a user could send (a document unless used otherwise) and returns
// its file_id and file_unique_id, to put in a pushed message.
func (s *Server) AddFile(data []byte, name, mimeType string) (fileID, fileUniqueID string) {
	f := s.addFile("documents", name, mimeType, data, int64(len(data)))
	return f.id, f.uniqueID
}

// AddLargeFile registers a file of size bytes without holding them: getFile on it answers
// "file is too big" when size is over 20 MB, as Telegram does, so no bytes are ever needed.
// At or under the limit it downloads as size zero bytes, generated on the fly.
func (s *Server) AddLargeFile(size int64, name, mimeType string) (fileID, fileUniqueID string) {
	f := s.addFile("documents", name, mimeType, nil, size)
	return f.id, f.uniqueID
}

// File returns what the fake knows about a file_id.
func (s *Server) File(fileID string) (FileInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.world.files[fileID]
	if !ok {
		return FileInfo{}, false
	}
	return FileInfo{FileID: f.id, FileUniqueID: f.uniqueID, Name: f.name, MIMEType: f.mime, Size: f.size}, true
}

func (s *Server) addFile(kind, name, mimeType string, data []byte, size int64) *file {
	id, unique := newFileIDs(kind)
	f := &file{id: id, uniqueID: unique, name: name, mime: mimeType, kind: kind, size: size, data: data}
	s.mu.Lock()
	s.world.files[id] = f
	s.mu.Unlock()
	return f
}

func (s *Bot) getFile(_ context.Context, req *request) (any, *apiError) {
	id := strings.TrimSpace(req.Params["file_id"])
	if id == "" {
		return nil, badRequest("file_id not specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.state.files[id]
	if !ok {
		if _, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(id) < 20 {
			return nil, badRequest("invalid file_id")
		}
		return nil, badRequest("wrong file_id or the file is temporarily unavailable")
	}
	if f.size > maxDownloadSize {
		return nil, badRequest("file is too big")
	}
	if f.path == "" {
		s.state.world.nextFileNo++
		ext := path.Ext(f.name)
		if ext == "" {
			if exts, _ := mime.ExtensionsByType(f.mime); len(exts) > 0 {
				ext = exts[0]
			}
		}
		f.path = fmt.Sprintf("%s/file_%d%s", f.kind, s.state.world.nextFileNo, ext)
		s.state.filesPath[f.path] = f
	}
	return map[string]any{"file_id": f.id, "file_unique_id": f.uniqueID, "file_size": f.size, "file_path": f.path}, nil
}

// serveFile answers GET /file/bot<token>/<file_path>. Files are shared by all bots (on Telegram
// a file_id is per bot; the fake does not tell them apart).
func (srv *Server) serveFile(w http.ResponseWriter, r *http.Request, p string) {
	s, filePath, apiErr := srv.splitToken(p)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.countCall("download")
	if f, ok := s.takeFault("download", params{}); ok {
		if done := s.applyFault(w, r, f); done {
			return
		}
	}
	s.mu.Lock()
	f, ok := s.state.filesPath[filePath]
	s.mu.Unlock()
	if !ok {
		writeError(w, errNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(f.size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if f.data == nil {
		_, _ = io.CopyN(w, zeroReader{}, f.size)
		return
	}
	_, _ = w.Write(f.data)
}

// zeroReader yields zero bytes, the content of AddLargeFile files.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
