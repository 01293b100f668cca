package filelink

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerify checks file-link tokens: Verify never panics on any token; a
// token Token made verifies with the same key and gives its Ref back; the
// same token with any one byte changed, or checked with another key, does
// not verify; and a token that verifies is one Token made.
func FuzzVerify(f *testing.F) {
	s0 := New([]byte("k1"), "", time.Hour)
	s0.now = func() time.Time { return time.Unix(1_767_225_600, 0) }
	f.Add(s0.Token(Ref{FileID: "AgACAgIAAxkBAAIBZ2Vh", Name: "report.pdf", MIMEType: "application/pdf", Size: 48213}),
		"AgACAgIAAxkBAAIBZ2Vh", "photo 2026 😀.jpg", "image/jpeg", int64(98775), uint16(3), byte('A'))
	f.Add("eyJmIjoiZjEiLCJlIjo5OTk5OTk5OTk5fQ.AAAA", "f1", "", "", int64(0), uint16(0), byte('.'))
	f.Add("no-dot-at-all", "BQACAgI", "invoice.pdf", "application/pdf", int64(-1), uint16(42), byte(0))
	f.Add(".", "", "", "", int64(1<<62), uint16(0xffff), byte('='))
	f.Fuzz(func(t *testing.T, token, fileID, name, mime string, size int64, pos uint16, b byte) {
		now := time.Unix(1_767_225_600, 0)
		s := New([]byte("k1"), "https://parley.example.com", time.Hour)
		s.now = func() time.Time { return now }
		tok := s.Token(Ref{FileID: fileID, Name: name, MIMEType: mime, Size: size})

		// A token that verifies is exactly what Token makes for its Ref:
		// only the key's holder can have made it.
		if r, err := s.Verify(token); err == nil {
			exp := r.Expires
			again := New([]byte("k1"), "", time.Hour)
			again.now = func() time.Time { return time.Unix(exp, 0).Add(-time.Hour) }
			if made := again.Token(r); made != token {
				t.Fatalf("token %q verifies (expiring %d) but Token makes %q for its ref", token, exp, made)
			}
		}

		ref, err := s.Verify(tok)
		switch {
		case fileID == "":
			if err == nil {
				t.Fatal("a token without a file id verifies")
			}
		case err != nil:
			t.Fatalf("own token %q: %v", tok, err)
		case utf8.ValidString(fileID) && utf8.ValidString(name) && utf8.ValidString(mime) &&
			(ref.FileID != fileID || ref.Name != name || ref.MIMEType != mime || ref.Size != size):
			t.Fatalf("ref %+v, signed %q %q %q %d", ref, fileID, name, mime, size)
		}

		other := New([]byte("k2"), "", time.Hour)
		other.now = s.now
		if _, err := other.Verify(tok); err == nil {
			t.Fatal("token verifies with another key")
		}

		i := int(pos) % len(tok)
		if tok[i] == b {
			b ^= 1
		}
		mutated := tok[:i] + string([]byte{b}) + tok[i+1:]
		if ref, err := s.Verify(mutated); err == nil {
			t.Fatalf("token with byte %d changed (%q → %q) verifies: %+v", i, tok, mutated, ref)
		}
	})
}
