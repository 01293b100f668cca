// Package filelink makes and checks the signed, expiring links through
// which desks open Telegram files: <public_url>/files/<token>.
//
// Telegram's own file URLs contain the bot token, so they never leave the
// host; a desk gets this link instead and the host streams the bytes. The
// token is an HMAC-SHA256 over the file reference and the expiry, keyed by a
// secret kept in the store (so every replica verifies every link).
// Written by hand: it is a few lines over crypto/hmac, and a JWT library
// would add algorithm negotiation we must then defend against.
package filelink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// ErrInvalid means the token was not made by us (tampered or garbage).
var ErrInvalid = errors.New("invalid file link")

// ErrExpired means the token was ours but its time ran out.
var ErrExpired = errors.New("file link expired")

// Ref is what a link points at.
type Ref struct {
	FileID   string `json:"f"`
	Name     string `json:"n,omitempty"`
	MIMEType string `json:"m,omitempty"`
	Size     int64  `json:"s,omitempty"`
	Expires  int64  `json:"e"`
}

// Signer makes and verifies links.
type Signer struct {
	key     []byte
	ttl     time.Duration
	baseURL string
	now     func() time.Time
}

// New returns a Signer. baseURL is the public URL of the host ("" makes
// relative links); ttl is how long a link stays valid.
func New(key []byte, baseURL string, ttl time.Duration) *Signer {
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	return &Signer{key: key, ttl: ttl, baseURL: strings.TrimRight(baseURL, "/"), now: time.Now}
}

// Link returns the public link for an attachment.
func (s *Signer) Link(a sdk.Attachment) string {
	return s.baseURL + "/files/" + s.Token(Ref{FileID: a.FileRef, Name: a.Name, MIMEType: a.MIMEType, Size: a.Size})
}

// Token signs ref, setting its expiry.
func (s *Signer) Token(ref Ref) string {
	ref.Expires = s.now().Add(s.ttl).Unix()
	payload, _ := json.Marshal(ref) // a struct of strings and ints always marshals
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

// Verify checks a token and returns what it points at.
func (s *Signer) Verify(token string) (Ref, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Ref{}, ErrInvalid
	}
	// Strict: the spare bits of the last character must be zero, so a
	// link has one spelling.
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return Ref{}, ErrInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Ref{}, ErrInvalid
	}
	var ref Ref
	if err := json.Unmarshal(payload, &ref); err != nil || ref.FileID == "" {
		return Ref{}, ErrInvalid
	}
	if s.now().Unix() > ref.Expires {
		return ref, ErrExpired
	}
	return ref, nil
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("parley-file-link.v1:"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}
