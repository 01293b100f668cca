package logging

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzRedact logs a configured secret in every form the redactor handles
// (as is, Go-quoted, JSON-escaped, URL-escaped, in hclog's text and JSON
// lines, inside an error and a URL) and checks that none of those forms of
// it survives, whatever text surrounds it. Secrets the redactor cannot
// find in principle are skipped: ones inside the "[redacted]" marker
// itself, and ones shorter than 4 bytes (config secrets are tokens and
// passwords, and the redactor would eat every "a" of a one-letter one).
func FuzzRedact(f *testing.F) {
	f.Add("123456789:AAEsecretSECRETsecretSECRETsecret12", "xoxb-other-token", "calling https://api.telegram.org/bot", "/getUpdates failed")
	f.Add(`pa"ss\word&x=1 <é>`, "", "dsn=postgres://parley:", "@db/parley")
	f.Add("line1\nline2\ttab\x00nul", "S3CRET", "error: ", " (retrying)")
	f.Add("日本語のパスワード🙂", "pw/with+plus=", "url=https://x.io/?token=", "&a=b")
	f.Add("\u2028\u00a0\x7f\xff", "ab", "", "")
	f.Fuzz(func(t *testing.T, secret, other, prefix, suffix string) {
		if !usable(secret) {
			return
		}
		secrets := []string{secret}
		if usable(other) {
			secrets = append(secrets, other)
		}
		forms := []string{
			secret, strconv.Quote(secret), strconv.QuoteToASCII(secret), jsonString(secret, true),
			jsonString(secret, false), url.QueryEscape(secret), url.PathEscape(secret),
		}
		r := NewRedactor(secrets)
		for _, form := range forms {
			checkGone(t, secret, r.Redact(prefix+form+suffix))
		}

		for _, format := range []string{"text", "json"} {
			var out bytes.Buffer
			log := New(Options{Format: format, Output: &out, Secrets: secrets, Level: "trace"})
			log.Info(prefix+secret+suffix, "value", secret, "quoted", prefix+secret+suffix,
				"err", errors.New("dial: "+secret), "url", "https://x.io/?t="+url.QueryEscape(secret),
				"bytes", []byte(secret), "stringer", fmt.Sprintf("%q", secret), "quoted_err", fmt.Errorf("bad token %q", secret))
			log.Named(secret).Warn("multi\nline", "body", "a\n"+secret+"\nb")
			checkGone(t, secret, out.String())
		}
	})
}

// usable reports whether a redactor can be expected to find s.
func usable(s string) bool {
	return len(s) >= 4 && !strings.Contains(Redacted, s) && !strings.Contains("bot"+Redacted, s)
}

func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// checkGone fails when out still holds secret in one of its forms. What
// is left around each "[redacted]" is checked on its own: the marker may
// happen to complete a secret with the text next to it.
func checkGone(t *testing.T, secret, out string) {
	t.Helper()
	quoted := []string{strings.Trim(strconv.Quote(secret), `"`), strings.Trim(strconv.QuoteToASCII(secret), `"`)}
	forms := append([]string{secret, jsonString(secret, true), jsonString(secret, false), url.QueryEscape(secret),
		url.PathEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))}, quoted...)
	for _, q := range quoted { // %q in an error, escaped again by the line's format
		forms = append(forms, jsonString(q, true), jsonString(q, false), hclogEscape(q, true))
	}
	for _, piece := range strings.Split(out, Redacted) {
		for _, form := range forms {
			if strings.Contains(piece, form) {
				t.Fatalf("secret %q survives as %q in %q", secret, form, out)
			}
		}
	}
}
