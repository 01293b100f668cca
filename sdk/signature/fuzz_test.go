package signature_test

import (
	"testing"

	"github.com/parley-dev/parley/sdk/signature"
)

// FuzzVerify checks both schemes: verifying never panics on any header; a
// header Sign made verifies; the same header with any one byte changed,
// or over another body, does not verify; a made-up header verifies only
// when it is the right one.
func FuzzVerify(f *testing.F) {
	// The generic webhook desk's X-Parley-Signature and Help Scout's
	// X-HelpScout-Signature over their usual bodies.
	f.Add([]byte("topsecret"), []byte(`{"conversation_id":"c1","id":"r1","text":"hi"}`),
		"sha256=0f3b0e4a5c0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", uint16(7), byte('f'))
	f.Add([]byte("hs-webhook-secret"), []byte(`{"id":4321,"number":17,"mailboxId":99,"_embedded":{"threads":[]}}`),
		"SGVsbG8gd29ybGQhIQ==", uint16(0), byte('+'))
	f.Add([]byte{}, []byte{}, "SHA256=", uint16(70), byte(' '))
	f.Add([]byte("k"), []byte("body"), "  md5=abc  ", uint16(1), byte('='))
	f.Fuzz(func(t *testing.T, secret, body []byte, header string, pos uint16, b byte) {
		// Made-up headers: no panic, and success only for the right one.
		if err := signature.VerifyHMACSHA256(secret, body, header); err == nil {
			checkIsRight(t, header, signature.SignHMACSHA256(secret, body), true)
		}
		if err := signature.VerifyHMACSHA1Base64(secret, body, header); err == nil {
			checkIsRight(t, header, signature.SignHMACSHA1Base64(secret, body), false)
		}

		for _, s := range []struct {
			sign   func(secret, body []byte) string
			verify func(secret, body []byte, header string) error
		}{
			{signature.SignHMACSHA256, signature.VerifyHMACSHA256},
			{signature.SignHMACSHA1Base64, signature.VerifyHMACSHA1Base64},
		} {
			h := s.sign(secret, body)
			if err := s.verify(secret, body, h); err != nil {
				t.Fatalf("own signature %q: %v", h, err)
			}
			if err := s.verify(secret, append(body[:len(body):len(body)], 'x'), h); err == nil {
				t.Fatalf("signature %q verifies another body", h)
			}
			i := int(pos) % len(h)
			if h[i] == b {
				b ^= 1
			}
			mutated := h[:i] + string([]byte{b}) + h[i+1:]
			if err := s.verify(secret, body, mutated); err == nil && !sameSignature(h, mutated) {
				t.Fatalf("signature %q with byte %d changed (%q) verifies", h, i, mutated)
			}
		}
	})
}

// sameSignature reports the changes that leave a header meaning the same:
// the scheme name is case-insensitive and so are hex digits.
func sameSignature(a, b string) bool {
	return equalFoldASCII(a, b)
}

func checkIsRight(t *testing.T, header, right string, hex bool) {
	t.Helper()
	h := header
	for len(h) > 0 && (h[0] == ' ' || h[0] == '\t' || h[0] == '\n' || h[0] == '\r' || h[0] == '\v' || h[0] == '\f') {
		h = h[1:]
	}
	for len(h) > 0 && (h[len(h)-1] == ' ' || h[len(h)-1] == '\t' || h[len(h)-1] == '\n' || h[len(h)-1] == '\r' || h[len(h)-1] == '\v' || h[len(h)-1] == '\f') {
		h = h[:len(h)-1]
	}
	if hex {
		if !equalFoldASCII(h, right) && !equalFoldASCII(h, right[len(signature.Prefix):]) {
			t.Fatalf("made-up header %q verifies; the signature is %q", header, right)
		}
		return
	}
	if h != right {
		t.Fatalf("made-up header %q verifies; the signature is %q", header, right)
	}
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
