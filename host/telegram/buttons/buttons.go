// Package buttons signs and checks the callback_data of the inline
// buttons the host sends, so a tap is trusted only when the host made the
// button: a customer's client can send any callback_data it likes.
//
// Data is "<kind>.<id>.<value>.<mac>": kind a short tag ("r" for a rating),
// id a short random id of what the button belongs to, value a small
// number (the score), mac the first 12 bytes of HMAC-SHA256 over the rest,
// base64url. It stays far below Telegram's 64-byte limit.
package buttons

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxData is Telegram's limit on callback_data, in bytes.
const MaxData = 64

// macLen is how many bytes of the HMAC are kept: 96 bits, beyond guessing.
const macLen = 12

// ErrInvalid is returned for data the host did not sign: forged,
// tampered with, signed with another key, or not a button of this host.
var ErrInvalid = errors.New("invalid button data")

// Button is what a tap says.
type Button struct {
	Kind  string
	ID    string
	Value int
}

// Signer signs and checks button data with a host secret.
type Signer struct{ key []byte }

// New returns a Signer keyed by key (a host secret of at least 32 bytes).
func New(key []byte) *Signer { return &Signer{key: append([]byte(nil), key...)} }

// Sign returns the callback_data of b. Kind and ID must be non-empty and
// free of "."; the result must fit MaxData.
func (s *Signer) Sign(b Button) (string, error) {
	if b.Kind == "" || b.ID == "" || strings.Contains(b.Kind, ".") || strings.Contains(b.ID, ".") {
		return "", fmt.Errorf("button %+v: kind and id must be non-empty and contain no dot", b)
	}
	body := b.Kind + "." + b.ID + "." + strconv.Itoa(b.Value)
	data := body + "." + s.mac(body)
	if len(data) > MaxData {
		return "", fmt.Errorf("button data of %d bytes exceeds Telegram's %d", len(data), MaxData)
	}
	return data, nil
}

// Verify checks data and returns the button it names, or ErrInvalid.
func (s *Signer) Verify(data string) (Button, error) {
	i := strings.LastIndexByte(data, '.')
	if i < 0 || len(data) > MaxData {
		return Button{}, ErrInvalid
	}
	body, mac := data[:i], data[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.mac(body))) {
		return Button{}, ErrInvalid
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 {
		return Button{}, ErrInvalid
	}
	v, err := strconv.Atoi(parts[2])
	if err != nil {
		return Button{}, ErrInvalid
	}
	return Button{Kind: parts[0], ID: parts[1], Value: v}, nil
}

func (s *Signer) mac(body string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("parley-button\x00" + body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:macLen])
}
