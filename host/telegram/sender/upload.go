package sender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig reads photo dimensions
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// Bot API upload methods.
const (
	methodPhoto    = "sendPhoto"
	methodVideo    = "sendVideo"
	methodVoice    = "sendVoice"
	methodAudio    = "sendAudio"
	methodDocument = "sendDocument"
)

// upload is an agent's file spooled to a temporary file, so every retry can
// send it again from the start without fetching it from the desk twice,
// and its exact size is known before a method is chosen.
type upload struct {
	name     string
	mimeType string
	size     int64
	method   string
	file     *os.File
}

// Name is the file name telego puts in the multipart part.
func (u *upload) Name() string { return u.name }

// Read reads the spooled bytes.
func (u *upload) Read(p []byte) (int, error) { return u.file.Read(p) }

func (u *upload) rewind() error {
	_, err := u.file.Seek(0, io.SeekStart)
	return err
}

func (u *upload) close() {
	_ = u.file.Close()
	_ = os.Remove(u.file.Name())
}

// notSent explains why a file was not sent; it is shown to the agent.
type notSent struct{ reason string }

func (e *notSent) Error() string { return e.reason }

// prepare fetches an attachment and picks its upload method. A file that
// cannot be sent is reported as *notSent (permanent) or, when fetching
// it failed in a way a later try may fix, as that error.
func (s *Sender) prepare(ctx context.Context, a sdk.ReplyAttachment, open Opener) (*upload, error) {
	limit := s.opts.MaxUploadSize
	if a.Size > limit {
		return nil, tooBig(a.Size, limit)
	}
	rc, info, err := open(ctx, a)
	if err != nil {
		if ctx.Err() != nil || !sdk.IsPermanent(err) {
			return nil, fmt.Errorf("fetching the file from the desk: %w", err)
		}
		return nil, &notSent{reason: "it could not be fetched from the desk: " + scrub(err).Error()}
	}
	defer rc.Close()
	if info.Size > limit {
		return nil, tooBig(info.Size, limit)
	}

	f, err := os.CreateTemp(s.opts.TempDir, "parley-upload-*")
	if err != nil {
		return nil, fmt.Errorf("spooling an upload: %w", err)
	}
	up := &upload{name: firstNonEmpty(a.Name, info.Name, "file"), file: f}
	n, err := io.Copy(f, io.LimitReader(rc, limit+1))
	if err != nil {
		up.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("fetching the file from the desk: %w", err)
	}
	if n > limit {
		up.close()
		return nil, tooBig(n, limit)
	}
	up.size = n
	if n == 0 {
		up.close()
		return nil, &notSent{reason: "the file is empty"}
	}

	head := make([]byte, 512)
	m, _ := f.ReadAt(head, 0)
	head = head[:m]
	up.mimeType = firstNonEmpty(a.MIMEType, info.MIMEType, mime.TypeByExtension(filepath.Ext(up.name)),
		http.DetectContentType(head))
	up.method = s.methodFor(up)
	return up, up.rewind()
}

func tooBig(size, limit int64) error {
	return &notSent{reason: fmt.Sprintf("it is %s and Telegram bots can send files of at most %s",
		format.HumanSize(size), format.HumanSize(limit))}
}

// methodFor picks how Telegram should show the file: a photo, a video, a
// voice message (OGG/Opus), an audio track, else a document.
func (s *Sender) methodFor(u *upload) string {
	mt, params, err := mime.ParseMediaType(u.mimeType)
	if err != nil {
		return methodDocument
	}
	switch {
	case isPhotoType(mt):
		if u.size <= s.opts.MaxPhotoSize && photoShapeOK(u.file) {
			return methodPhoto
		}
		return methodDocument
	case mt == "video/mp4":
		return methodVideo
	case (mt == "audio/ogg" || mt == "audio/opus") && isOpus(u.file, params):
		return methodVoice
	case strings.HasPrefix(mt, "audio/"):
		return methodAudio
	default:
		return methodDocument
	}
}

// isPhotoType lists the images Telegram turns into photos. GIFs (shown as
// animations), WebP (stickers), SVG and the rest go as documents, which
// keeps them intact.
func isPhotoType(mt string) bool {
	switch mt {
	case "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/bmp":
		return true
	}
	return false
}

// photoShapeOK checks Telegram's photo limits (width + height at most
// 10000, aspect ratio at most 20) when the dimensions can be read; a photo
// Telegram would refuse goes as a document instead.
func photoShapeOK(f *os.File) bool {
	cfg, _, err := image.DecodeConfig(io.NewSectionReader(f, 0, 1<<20))
	if err != nil {
		return !errors.Is(err, image.ErrFormat) // unreadable JPEG/PNG: let Telegram judge
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 || w+h > 10000 {
		return false
	}
	return max(w, h) <= 20*min(w, h)
}

// isOpus reports OGG audio holding Opus, which Telegram plays as a voice
// message: said by the codecs parameter, or seen in the first OGG page.
func isOpus(f *os.File, params map[string]string) bool {
	if strings.Contains(strings.ToLower(params["codecs"]), "opus") {
		return true
	}
	head := make([]byte, 64)
	n, _ := f.ReadAt(head, 0)
	return bytes.Contains(head[:n], []byte("OpusHead"))
}

// sendFile uploads one file with its caption. Markup Telegram cannot parse
// is resent once as plain text; a file the chosen method refuses (a photo
// Telegram cannot process, voice messages the user disallowed) is sent
// once more as a document.
func (s *Sender) sendFile(ctx context.Context, chatID int64, u *upload, caption string, f sdk.TextFormat) (*telego.Message, error) {
	msg, err := s.sendFileAs(ctx, chatID, u, u.method, caption, f)
	if err != nil && f == sdk.FormatTelegramHTML && isParseError(err) {
		caption, f = plain(caption), sdk.FormatPlain
		msg, err = s.sendFileAs(ctx, chatID, u, u.method, caption, f)
	}
	if err != nil && u.method != methodDocument && sdk.IsPermanent(err) && !isParseError(err) {
		msg, err = s.sendFileAs(ctx, chatID, u, methodDocument, caption, f)
	}
	return msg, err
}

func (s *Sender) sendFileAs(ctx context.Context, chatID int64, u *upload, method, caption string, f sdk.TextFormat) (*telego.Message, error) {
	id := telego.ChatID{ID: chatID}
	in := telego.InputFile{File: u}
	pm := parseMode(f, caption)
	biz := businessConnection(ctx)
	return s.call(ctx, chatID, method, func(ctx context.Context) (*telego.Message, error) {
		if err := u.rewind(); err != nil {
			return nil, sdk.Permanent(fmt.Errorf("rewinding the upload: %w", err))
		}
		switch method {
		case methodPhoto:
			return s.bot.SendPhoto(ctx, &telego.SendPhotoParams{ChatID: id, BusinessConnectionID: biz, Photo: in, Caption: caption, ParseMode: pm})
		case methodVideo:
			return s.bot.SendVideo(ctx, &telego.SendVideoParams{ChatID: id, BusinessConnectionID: biz, Video: in, Caption: caption, ParseMode: pm, SupportsStreaming: true})
		case methodVoice:
			return s.bot.SendVoice(ctx, &telego.SendVoiceParams{ChatID: id, BusinessConnectionID: biz, Voice: in, Caption: caption, ParseMode: pm})
		case methodAudio:
			return s.bot.SendAudio(ctx, &telego.SendAudioParams{ChatID: id, BusinessConnectionID: biz, Audio: in, Caption: caption, ParseMode: pm})
		default:
			return s.bot.SendDocument(ctx, &telego.SendDocumentParams{ChatID: id, BusinessConnectionID: biz, Document: in, Caption: caption, ParseMode: pm})
		}
	})
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
