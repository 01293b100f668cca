package hsapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
)

// Attachments travel base64-encoded inside the JSON body. encoding/json
// would need every file in memory at once, so the body is written by hand
// around json.Marshal'd parts: the fixed fields are marshalled, and each
// file is streamed through a base64 encoder into a pipe (base64 needs no
// JSON escaping).

// streamBody returns a bodyFunc that writes the body with write.
func streamBody(write func(w io.Writer) error) bodyFunc {
	return func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(write(pw)) }()
		return pr, nil
	}
}

// writeObject writes the JSON object v with extra members appended: v's
// encoding minus its closing brace, then extra, then the brace.
func writeObject(w io.Writer, v any, extra func(w io.Writer) error) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) < 2 || b[len(b)-1] != '}' {
		return fmt.Errorf("encode %T: not a JSON object", v)
	}
	if _, err := w.Write(b[:len(b)-1]); err != nil {
		return err
	}
	if err := extra(w); err != nil {
		return err
	}
	_, err = io.WriteString(w, "}")
	return err
}

// writeThread writes t with its attachments streamed in.
func writeThread(w io.Writer, t NewThread) error {
	return writeObject(w, t, func(w io.Writer) error {
		if len(t.Attachments) == 0 {
			return nil
		}
		if _, err := io.WriteString(w, `,"attachments":[`); err != nil {
			return err
		}
		for i, a := range t.Attachments {
			if i > 0 {
				if _, err := io.WriteString(w, ","); err != nil {
					return err
				}
			}
			if err := writeAttachment(w, a); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "]")
		return err
	})
}

func writeAttachment(w io.Writer, a Attachment) error {
	head, err := json.Marshal(struct {
		FileName string `json:"fileName"`
		MIMEType string `json:"mimeType"`
	}{a.FileName, a.MIMEType})
	if err != nil {
		return err
	}
	if _, err := w.Write(head[:len(head)-1]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"data":"`); err != nil {
		return err
	}
	rc, err := a.Open()
	if err != nil {
		return fmt.Errorf("open attachment %q: %w", a.FileName, err)
	}
	defer rc.Close()
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, rc); err != nil {
		return fmt.Errorf("read attachment %q: %w", a.FileName, err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(w, `"}`)
	return err
}
