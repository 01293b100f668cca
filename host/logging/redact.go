package logging

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// Redacted replaces every secret in redacted text.
const Redacted = "[redacted]"

// botPath matches the bot<id>:<token> segment of Telegram Bot API and file
// URLs.
var botPath = regexp.MustCompile(`bot\d+:[\w-]+`)

// Redactor removes secrets from text. It is safe for concurrent use, and
// learns secrets a config reload brings (Add).
type Redactor struct {
	replacer atomic.Pointer[strings.Replacer]

	mu      sync.Mutex // serialises Add
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets; empty strings are
// ignored.
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add makes r redact secrets too, from its next Redact on; the secrets it
// already redacts stay.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range secrets {
		if sec != "" && !slices.Contains(r.secrets, sec) {
			r.secrets = append(r.secrets, sec)
		}
	}
	r.replacer.Store(newReplacer(r.secrets))
}

// newReplacer replaces every form of every secret.
func newReplacer(secrets []string) *strings.Replacer {
	var forms []string
	for _, s := range secrets {
		if s != "" {
			forms = append(forms, encodings(s)...)
		}
	}
	// Longest first, so that at any position strings.Replacer (which tries
	// the old strings in argument order) removes a whole escaped form rather
	// than a shorter form inside it.
	slices.SortFunc(forms, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b) // equal forms side by side for Compact
	})
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

// encodings returns the forms in which s can appear in a log line: as is,
// as hclog's text format escapes values (quoted or in a multi-line block),
// Go-quoted (%q, and hclog for some value types), escaped inside a JSON
// string (hclog's JSON format, with and without HTML escaping),
// URL-escaped, Go-quoted and then escaped by the line's format (a %q in an
// error), and base64 (hclog's JSON format writes a []byte so).
func encodings(s string) []string {
	quoted := []string{strings.Trim(strconv.Quote(s), `"`), strings.Trim(strconv.QuoteToASCII(s), `"`)}
	forms := append([]string{s, hclogEscape(s, true), hclogEscape(s, false), url.QueryEscape(s), url.PathEscape(s),
		jsonEscape(s, true), jsonEscape(s, false), base64.StdEncoding.EncodeToString([]byte(s))}, quoted...)
	for _, q := range quoted {
		forms = append(forms, hclogEscape(q, true), jsonEscape(q, true), jsonEscape(q, false))
	}
	return forms
}

// jsonEscape is s as it appears inside a JSON string.
func jsonEscape(s string, escapeHTML bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	b := bytes.TrimSpace(buf.Bytes())
	return string(b[1 : len(b)-1])
}

// Redact returns s with every secret and Telegram bot token path segment
// replaced.
func (r *Redactor) Redact(s string) string {
	return botPath.ReplaceAllString(r.replacer.Load().Replace(s), "bot"+Redacted)
}

// Writer returns an io.Writer that redacts each Write before passing it to
// w. Each Write must hold whole lines, as hclog's are (it writes every
// entry in one call); a secret split across two Writes would get through.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	return &redactingWriter{r: r, w: w}
}

type redactingWriter struct {
	r *Redactor
	w io.Writer
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	// Report the caller's length: the redacted text has another length, and
	// a short count would make the caller see io.ErrShortWrite.
	return len(p), nil
}

// hclogEscape escapes s the way hclog's text format writes a value that
// needs quoting: quotes (when quotes is set) and non-printable runes are
// escaped, backslashes are not. Mirrors go-hclog v1.6 writeEscapedForOutput,
// which is unexported.
func hclogEscape(s string, quotes bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case quotes && r == '"':
			b.WriteString(`\"`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r == '\a':
			b.WriteString(`\a`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\v':
			b.WriteString(`\v`)
		case r < ' ':
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}
