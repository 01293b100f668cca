package hipchatfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/textproto"
	"strings"
)

// parseShare reads a share/file body: multipart/related with an optional
// JSON "metadata" part (the caption) and a "file" part. The public clients
// disagree on details, so it is lenient where HipChat was: LF or CRLF line
// ends, base64 or raw file bytes, and a missing closing boundary. Go's
// mime/multipart rejects a missing terminator, hence this small parser.
func parseShare(contentType string, body []byte) (string, *File, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return "", nil, errors.New("Validation error: Content-Type must be multipart/related with a boundary")
	}
	delim := []byte("--" + params["boundary"])
	chunks := bytes.Split(body, delim)
	var caption string
	var file *File
	for _, c := range chunks[1:] {
		if bytes.HasPrefix(c, []byte("--")) {
			break // closing boundary
		}
		c = bytes.TrimPrefix(bytes.TrimPrefix(c, []byte("\r\n")), []byte("\n"))
		head, content, ok := cutHeader(c)
		if !ok {
			return "", nil, errors.New("Validation error: malformed multipart part")
		}
		content = bytes.TrimSuffix(bytes.TrimSuffix(content, []byte("\n")), []byte("\r"))
		_, dp, _ := mime.ParseMediaType(head.Get("Content-Disposition"))
		switch dp["name"] {
		case "metadata":
			var meta struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(content, &meta); err != nil {
				return "", nil, errors.New("Validation error: metadata part is not valid JSON")
			}
			caption = meta.Message
		case "file":
			if strings.EqualFold(head.Get("Content-Transfer-Encoding"), "base64") {
				dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(content)), ""))
				if err != nil {
					return "", nil, errors.New("Validation error: file part is not valid base64")
				}
				content = dec
			}
			file = &File{Name: dp["filename"], ContentType: head.Get("Content-Type"), Data: content}
		}
	}
	if file == nil {
		return "", nil, errors.New("Validation error: file: a part named \"file\" is required")
	}
	if file.Name == "" {
		file.Name = "file"
	}
	return caption, file, nil
}

// cutHeader splits a part into its MIME header and content at the first
// empty line (CRLF or LF).
func cutHeader(part []byte) (textproto.MIMEHeader, []byte, bool) {
	norm := bytes.ReplaceAll(part, []byte("\r\n"), []byte("\n"))
	i := bytes.Index(norm, []byte("\n\n"))
	if i < 0 {
		return nil, nil, false
	}
	h := textproto.MIMEHeader{}
	for _, line := range strings.Split(string(norm[:i]), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			h.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
		}
	}
	// Keep the raw content bytes (raw files may contain CRLF): find where
	// the header ends in the original.
	if j := bytes.Index(part, []byte("\r\n\r\n")); j >= 0 && (bytes.Index(part, []byte("\n\n")) < 0 || j < bytes.Index(part, []byte("\n\n"))) {
		return h, part[j+4:], true
	}
	return h, part[bytes.Index(part, []byte("\n\n"))+2:], true
}
