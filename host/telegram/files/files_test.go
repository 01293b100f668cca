package files_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mymmrac/telego"

	"github.com/parley-dev/parley/host/telegram/files"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

func setup(t *testing.T) (*telegramtest.Server, *files.Client) {
	t.Helper()
	s := telegramtest.New(telegramtest.Options{})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, &files.Client{APIURL: s.URL(), Token: s.Token()}
}

// secretPart is the part of the token after the colon: it must not leak even without the ID.
func secretPart(token string) string { return token[strings.IndexByte(token, ':')+1:] }

func TestOpenStreamsExactBytes(t *testing.T) {
	s, c := setup(t)
	u := s.AddUser(telego.User{})
	data := bytes.Repeat([]byte("invoice\x00\xff"), 10_000)
	m := s.SendDocument(u.ID, data, "invoice.pdf", "application/pdf", "")
	rc, info, err := c.Open(t.Context(), m.Document.FileID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (want %d), %v", len(got), len(data), err)
	}
	if info.Size != int64(len(data)) || info.MIMEType != "application/pdf" || !strings.HasSuffix(info.Name, ".pdf") {
		t.Fatalf("info = %+v", info)
	}
}

func TestOpenErrors(t *testing.T) {
	s, c := setup(t)
	big, _ := s.AddLargeFile(25<<20, "movie.mp4", "video/mp4")
	good, _ := s.AddFile([]byte("x"), "a.txt", "text/plain")
	tampered := good[:len(good)-4] + "AAAA"
	cases := []struct {
		name, fileID string
		want         error
	}{
		{"too large", big, files.ErrTooLarge},
		{"tampered", tampered, files.ErrNotFound},
		{"garbage", "not a file id!", files.ErrNotFound},
		{"empty", "", files.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc, _, err := c.Open(t.Context(), tc.fileID)
			if rc != nil {
				rc.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	s, c := setup(t)
	id, _ := s.AddFile([]byte("secret doc"), "a.txt", "text/plain")
	cases := []struct {
		name  string
		fault telegramtest.Fault
	}{
		// Go's transport retries a GET once on a reused connection that closed, so drop twice.
		{"download connection dropped", telegramtest.Fault{Method: "download", Drop: true, Times: 2}},
		{"download 502", telegramtest.Fault{Method: "download", Status: 502, HTML: true}},
		{"getFile connection dropped", telegramtest.Fault{Method: "getFile", Drop: true}},
		{"getFile 500", telegramtest.Fault{Method: "getFile", Status: 500}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.Inject(tc.fault)
			defer s.ClearFaults()
			rc, _, err := c.Open(t.Context(), id)
			if rc != nil {
				rc.Close()
			}
			if err == nil {
				t.Fatal("Open succeeded despite the fault")
			}
			if strings.Contains(err.Error(), secretPart(s.Token())) {
				t.Fatalf("token in error: %v", err)
			}
		})
	}
	// Nothing listening at all: the dial error quotes the URL.
	s.Close()
	_, _, err := c.Open(t.Context(), id)
	if err == nil || strings.Contains(err.Error(), secretPart(s.Token())) {
		t.Fatalf("closed server: %v", err)
	}
}

func TestRef(t *testing.T) {
	for _, c := range []struct{ bot, id, ref string }{
		{"", "AgAD-x_1", "AgAD-x_1"}, {"default", "AgAD", "AgAD"}, {"shop-2", "AgAD-x_1", "shop-2:AgAD-x_1"},
	} {
		if got := files.Ref(c.bot, c.id); got != c.ref {
			t.Errorf("Ref(%q, %q) = %q, want %q", c.bot, c.id, got, c.ref)
		}
		bot, id := files.ParseRef(c.ref)
		if want := c.bot; (want == "" && bot != "default") || (want != "" && bot != want) || id != c.id {
			t.Errorf("ParseRef(%q) = %q, %q", c.ref, bot, id)
		}
	}
}
