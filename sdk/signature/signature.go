// Package signature signs and verifies desk webhooks: HMAC-SHA256 in the
// "sha256=<hex>" form (Parley's webhook plugin, GitHub-style senders) and
// Help Scout's base64 HMAC-SHA1.
//
// Always verify over the exact bytes received, before parsing: re-encoded
// JSON does not carry the same MAC. Comparisons are constant-time, and no
// error ever contains the secret or the expected MAC.
package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// The error kinds. Match them with errors.Is; every returned error wraps
// exactly one.
var (
	// ErrMissing means the request carried no signature.
	ErrMissing = errors.New("signature missing")
	// ErrMalformed means the signature is not in the expected encoding.
	ErrMalformed = errors.New("signature malformed")
	// ErrMismatch means the signature is well formed but wrong: the body
	// was changed or signed with another secret.
	ErrMismatch = errors.New("signature mismatch")
)

// Prefix is the scheme marker of a SHA-256 signature header.
const Prefix = "sha256="

// SignHMACSHA256 returns "sha256=<hex HMAC-SHA256 of body keyed with secret>".
func SignHMACSHA256(secret, body []byte) string {
	return Prefix + hex.EncodeToString(mac(sha256.New, secret, body))
}

// VerifyHMACSHA256 checks a header made by [SignHMACSHA256]. The
// "sha256=" prefix is optional and the hex digits may be in either case.
func VerifyHMACSHA256(secret, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissing
	}
	digest := header
	if scheme, rest, ok := strings.Cut(header, "="); ok {
		if !strings.EqualFold(scheme, "sha256") {
			return fmt.Errorf("%w: unknown scheme %q, want sha256", ErrMalformed, truncate(scheme))
		}
		digest = rest
	}
	got, err := hex.DecodeString(digest)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: want %d hex digits", ErrMalformed, 2*sha256.Size)
	}
	if !hmac.Equal(got, mac(sha256.New, secret, body)) {
		return ErrMismatch
	}
	return nil
}

// SignHMACSHA1Base64 returns base64(HMAC-SHA1(secret, body)), the form of
// Help Scout's X-HelpScout-Signature header.
func SignHMACSHA1Base64(secret, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(sha1.New, secret, body))
}

// VerifyHMACSHA1Base64 checks Help Scout's X-HelpScout-Signature: the
// standard base64 (with padding) of the HMAC-SHA1 of the raw body.
func VerifyHMACSHA1Base64(secret, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissing
	}
	// Strict: the spare bits of the last character must be zero, so one
	// signature has one spelling.
	got, err := base64.StdEncoding.Strict().DecodeString(header)
	if err != nil || len(got) != sha1.Size {
		return fmt.Errorf("%w: want base64 of %d bytes", ErrMalformed, sha1.Size)
	}
	if !hmac.Equal(got, mac(sha1.New, secret, body)) {
		return ErrMismatch
	}
	return nil
}

func mac(h func() hash.Hash, secret, body []byte) []byte {
	m := hmac.New(h, secret)
	m.Write(body)
	return m.Sum(nil)
}

// truncate keeps an echoed header fragment short.
func truncate(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
