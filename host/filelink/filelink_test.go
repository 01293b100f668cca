package filelink

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
)

func TestLinkRoundTrip(t *testing.T) {
	s := New([]byte("k1"), "https://parley.example.com/", time.Hour)
	link := s.Link(sdk.Attachment{FileRef: "AgAD-file", Name: "report.pdf", MIMEType: "application/pdf", Size: 42})
	if !strings.HasPrefix(link, "https://parley.example.com/files/") {
		t.Fatalf("link %q does not point at the host's /files/", link)
	}
	ref, err := s.Verify(strings.TrimPrefix(link, "https://parley.example.com/files/"))
	if err != nil {
		t.Fatalf("verify own link: %v", err)
	}
	if ref.FileID != "AgAD-file" || ref.Name != "report.pdf" || ref.MIMEType != "application/pdf" || ref.Size != 42 {
		t.Fatalf("ref = %+v", ref)
	}
}

func TestVerifyRejects(t *testing.T) {
	s := New([]byte("k1"), "", time.Hour)
	good := s.Token(Ref{FileID: "f1"})
	other := New([]byte("k2"), "", time.Hour).Token(Ref{FileID: "f1"})
	p, sig, _ := strings.Cut(good, ".")
	forged := New([]byte("k1"), "", time.Hour).Token(Ref{FileID: "f2"})
	fp, _, _ := strings.Cut(forged, ".")
	cases := map[string]string{
		"empty":           "",
		"no signature":    p,
		"other key":       other,
		"swapped payload": fp + "." + sig,
		"garbage":         "!!!.???",
		"flipped char":    p[:len(p)-1] + string(p[len(p)-1]^1) + "." + sig,
	}
	for name, tok := range cases {
		if _, err := s.Verify(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestVerifyExpired(t *testing.T) {
	s := New([]byte("k1"), "", time.Minute)
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }
	tok := s.Token(Ref{FileID: "f1"})
	now = now.Add(2 * time.Minute)
	if _, err := s.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
}
