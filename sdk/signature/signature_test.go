package signature_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-dev/parley/sdk/signature"
)

func TestSHA256RoundTrip(t *testing.T) {
	secret, body := []byte("topsecret"), []byte(`{"conversation_id":"c1","id":"r1","text":"hi"}`)
	header := signature.SignHMACSHA256(secret, body)
	if !strings.HasPrefix(header, "sha256=") || len(header) != len("sha256=")+64 {
		t.Fatalf("header %q is not sha256=<64 hex>", header)
	}
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   error
	}{
		{"valid", secret, body, header, nil},
		{"valid without prefix", secret, body, strings.TrimPrefix(header, "sha256="), nil},
		{"valid upper-case hex", secret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(header, "sha256=")), nil},
		{"valid with surrounding space", secret, body, " " + header + " ", nil},
		{"missing", secret, body, "", signature.ErrMissing},
		{"not hex", secret, body, "sha256=zz", signature.ErrMalformed},
		{"short digest", secret, body, header[:20], signature.ErrMalformed},
		{"other scheme", secret, body, "sha1=" + strings.TrimPrefix(header, "sha256="), signature.ErrMalformed},
		{"body changed", secret, append(body, ' '), header, signature.ErrMismatch},
		{"other secret", []byte("topsecreT"), body, header, signature.ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := signature.VerifyHMACSHA256(tc.secret, tc.body, tc.header)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("VerifyHMACSHA256 = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "topsecret") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestSHA256KnownVector(t *testing.T) {
	// RFC 4231 test case 2.
	got := signature.SignHMACSHA256([]byte("Jefe"), []byte("what do ya want for nothing?"))
	if want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestHelpScoutVector(t *testing.T) {
	// The vector from Help Scout's webhook documentation.
	secret, body := []byte("s3cr3t"), []byte(`{"id":1}`)
	if got := signature.SignHMACSHA1Base64(secret, body); got != "Y0IGf6wEvIUwF6iRZtH5Pncs+AI=" {
		t.Fatalf("SignHMACSHA1Base64 = %s", got)
	}
	tests := []struct {
		name   string
		body   string
		header string
		want   error
	}{
		{"valid", `{"id":1}`, "Y0IGf6wEvIUwF6iRZtH5Pncs+AI=", nil},
		{"re-encoded body", `{"id": 1}`, "Y0IGf6wEvIUwF6iRZtH5Pncs+AI=", signature.ErrMismatch},
		{"missing", `{"id":1}`, "", signature.ErrMissing},
		{"not base64", `{"id":1}`, "not base64!", signature.ErrMalformed},
		{"wrong length", `{"id":1}`, "c2hvcnQ=", signature.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := signature.VerifyHMACSHA1Base64(secret, []byte(tc.body), tc.header)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("VerifyHMACSHA1Base64 = %v, want %v", err, tc.want)
			}
		})
	}
}

func ExampleVerifyHMACSHA256() {
	secret := []byte("shared-secret")
	body := []byte(`{"id":"r1"}`)
	header := signature.SignHMACSHA256(secret, body) // what the sender puts in X-Parley-Signature

	fmt.Println(signature.VerifyHMACSHA256(secret, body, header))
	err := signature.VerifyHMACSHA256(secret, []byte(`{"id":"r2"}`), header)
	fmt.Println(errors.Is(err, signature.ErrMismatch))
	// Output:
	// <nil>
	// true
}

func ExampleVerifyHMACSHA1Base64() {
	err := signature.VerifyHMACSHA1Base64([]byte("s3cr3t"), []byte(`{"id":1}`), "Y0IGf6wEvIUwF6iRZtH5Pncs+AI=")
	fmt.Println(err)
	// Output: <nil>
}
