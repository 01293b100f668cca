package normalize

import (
	"fmt"
	"strings"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// Attachment kinds as they appear in [sdk.Attachment.Kind].
const (
	kindPhoto     = string(sdk.KindPhoto)
	kindDocument  = string(sdk.KindDocument)
	kindAudio     = string(sdk.KindAudio)
	kindVoice     = string(sdk.KindVoice)
	kindVideo     = string(sdk.KindVideo)
	kindVideoNote = string(sdk.KindVideoNote)
	kindAnimation = string(sdk.KindAnimation)
	kindSticker   = string(sdk.KindSticker)
)

// attachment fills the fields every kind shares. URL stays empty: the host
// signs a link when it delivers.
func attachment(kind, fileID, uniqueID string, size int64, name, mimeType, fallbackMIME, ext string) sdk.Attachment {
	if mimeType == "" {
		mimeType = fallbackMIME
	}
	if name == "" {
		id := uniqueID
		if id == "" {
			id = fileID
		}
		name = kind + "_" + id + ext
	}
	return sdk.Attachment{
		Name:     name,
		MIMEType: mimeType,
		Size:     size,
		TooLarge: size > MaxDownloadSize,
		FileRef:  fileID,
		Kind:     kind,
	}
}

// photoAttachment picks the largest size of a photo. Telegram lists sizes
// smallest first in practice but does not promise it, so compare areas.
func photoAttachment(sizes []telego.PhotoSize) sdk.Attachment {
	best := sizes[0]
	for _, p := range sizes[1:] {
		if a, b := p.Width*p.Height, best.Width*best.Height; a > b || (a == b && p.FileSize > best.FileSize) {
			best = p
		}
	}
	a := attachment(kindPhoto, best.FileID, best.FileUniqueID, int64(best.FileSize), "", "", "image/jpeg", ".jpg")
	a.Width, a.Height = best.Width, best.Height
	return a
}

func documentAttachment(d *telego.Document) sdk.Attachment {
	return attachment(kindDocument, d.FileID, d.FileUniqueID, d.FileSize, d.FileName, d.MimeType,
		"application/octet-stream", "")
}

func audioAttachment(au *telego.Audio) sdk.Attachment {
	mt := au.MimeType
	if mt == "" {
		mt = "audio/mpeg"
	}
	a := attachment(kindAudio, au.FileID, au.FileUniqueID, au.FileSize, au.FileName, mt, "", extension(mt, ".mp3"))
	a.DurationSeconds = au.Duration
	return a
}

func voiceAttachment(v *telego.Voice) sdk.Attachment {
	a := attachment(kindVoice, v.FileID, v.FileUniqueID, v.FileSize, "", v.MimeType, "audio/ogg", ".ogg")
	a.DurationSeconds = v.Duration
	return a
}

func videoAttachment(v *telego.Video) sdk.Attachment {
	a := attachment(kindVideo, v.FileID, v.FileUniqueID, v.FileSize, v.FileName, v.MimeType, "video/mp4", ".mp4")
	a.Width, a.Height, a.DurationSeconds = v.Width, v.Height, v.Duration
	return a
}

func videoNoteAttachment(v *telego.VideoNote) sdk.Attachment {
	a := attachment(kindVideoNote, v.FileID, v.FileUniqueID, int64(v.FileSize), "", "", "video/mp4", ".mp4")
	a.Width, a.Height, a.DurationSeconds = v.Length, v.Length, v.Duration
	return a
}

func animationAttachment(v *telego.Animation) sdk.Attachment {
	a := attachment(kindAnimation, v.FileID, v.FileUniqueID, v.FileSize, v.FileName, v.MimeType, "video/mp4", ".mp4")
	a.Width, a.Height, a.DurationSeconds = v.Width, v.Height, v.Duration
	return a
}

// stickerAttachment describes a sticker's image: WebP for static stickers,
// TGS (gzipped Lottie) for animated ones, WebM for video stickers.
func stickerAttachment(s *telego.Sticker) sdk.Attachment {
	mt, ext := "image/webp", ".webp"
	switch {
	case s.IsAnimated:
		mt, ext = "application/x-tgsticker", ".tgs"
	case s.IsVideo:
		mt, ext = "video/webm", ".webm"
	}
	a := attachment(kindSticker, s.FileID, s.FileUniqueID, int64(s.FileSize), "", mt, "", ext)
	a.Width, a.Height = s.Width, s.Height
	return a
}

// extension picks a file extension for the audio types Telegram sends.
// Go's mime tables depend on the system, so the few needed are listed here.
func extension(mimeType, fallback string) string {
	switch strings.ToLower(mimeType) {
	case "audio/mpeg", "audio/mp3":
		return ".mp3"
	case "audio/mp4", "audio/m4a", "audio/x-m4a":
		return ".m4a"
	case "audio/ogg", "audio/opus":
		return ".ogg"
	case "audio/flac", "audio/x-flac":
		return ".flac"
	case "audio/wav", "audio/x-wav":
		return ".wav"
	}
	return fallback
}

func audioTitle(au *telego.Audio, name string) string {
	if t := joinNonEmpty(" – ", au.Performer, au.Title); t != "" {
		return t
	}
	return name
}

// fileDetails is the parenthesised part of a file summary: duration, size
// and whether the bot can fetch it, e.g. "(0:12, 14 kB)".
func fileDetails(a sdk.Attachment) string {
	var parts []string
	if a.DurationSeconds > 0 {
		parts = append(parts, duration(a.DurationSeconds))
	}
	if a.Size > 0 {
		parts = append(parts, format.HumanSize(a.Size))
	}
	if a.TooLarge {
		parts = append(parts, "too large to download")
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// duration formats seconds as m:ss or h:mm:ss.
func duration(s int) string {
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// withDetails appends a file's details to a summary label.
func withDetails(label string, a sdk.Attachment) string {
	if d := fileDetails(a); d != "" {
		return label + " " + d
	}
	return label
}
