package logging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// secrets cover the characters each log format escapes differently.
var secrets = []string{
	"123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // bot token
	`pa"ss\word`,       // quoted and backslash-escaped by both formats
	"xoxb-<tag>&more",  // HTML-escaped by encoding/json by default
	"tab\there\x01end", // control characters: \t, \x01 vs \u0001
	"zürich-secret",    // non-ASCII
}

// leaks returns the forms of secret found in out.
func leaks(out, secret string) []string {
	forms := map[string]string{
		"raw":    secret,
		"quoted": strings.Trim(strconv.Quote(secret), `"`),
		"ascii":  strings.Trim(strconv.QuoteToASCII(secret), `"`),
		// hclog's text format escapes quotes but not backslashes.
		"hclog": strings.ReplaceAll(secret, `"`, `\"`),
	}
	if b, err := json.Marshal(secret); err == nil {
		forms["json"] = string(b[1 : len(b)-1])
	}
	var found []string
	for name, f := range forms {
		if strings.Contains(out, f) {
			found = append(found, name)
		}
	}
	return found
}

func TestSecretsNeverReachOutput(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		for _, secret := range secrets {
			t.Run(format+"/"+secret, func(t *testing.T) {
				var buf bytes.Buffer
				log := New(Options{Level: "trace", Format: format, Output: &buf, Secrets: secrets})
				log.Info("connecting with "+secret, "token", secret)
				log.Named("slack").Warn("desk said no",
					"header", "Bearer "+secret,
					"error", errors.New("auth failed for "+secret),
					"url", "https://desk.example.com/?k="+secret)
				log.With("dsn", "postgres://u:"+secret+"@db/p").Debug("store")
				out := buf.String()
				if found := leaks(out, secret); len(found) > 0 {
					t.Fatalf("secret %q leaked in forms %v:\n%s", secret, found, out)
				}
				if n := strings.Count(out, Redacted); n < 5 {
					t.Errorf("%d redactions, want at least 5:\n%s", n, out)
				}
				if format == "json" {
					sc := bufio.NewScanner(&buf)
					for sc.Scan() {
						var entry map[string]any
						if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
							t.Fatalf("redaction broke JSON line %q: %v", sc.Text(), err)
						}
					}
				}
			})
		}
	}
}

func TestTelegramURLsLoseTheirToken(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		// No secrets configured: the URL shape alone is enough.
		log := New(Options{Format: format, Output: &buf})
		log.Error("download failed", "url", "https://api.telegram.org/file/bot987654:XYZ_abc-def/documents/file_3.pdf")
		log.Error("Post \"https://api.telegram.org/bot987654:XYZ_abc-def/sendMessage\": timeout")
		out := buf.String()
		if strings.Contains(out, "XYZ_abc-def") || strings.Contains(out, "987654:") {
			t.Errorf("%s: token leaked:\n%s", format, out)
		}
		for _, want := range []string{"/file/bot[redacted]/documents/file_3.pdf", "/bot[redacted]/sendMessage"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", format, want, out)
			}
		}
	}
}

func TestFormatAndLevel(t *testing.T) {
	tests := []struct {
		level, format string
		debugShown    bool
		json          bool
	}{
		{"", "text", false, false},
		{"info", "json", false, true},
		{"debug", "text", true, false},
		{"DEBUG", "json", true, true},
		{"nonsense", "text", false, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log := New(Options{Level: tt.level, Format: tt.format, Output: &buf, Secrets: []string{"s3cret"}})
		log.Debug("debug line")
		log.Info("info line", "user", "ann")
		out := buf.String()
		if got := strings.Contains(out, "debug line"); got != tt.debugShown {
			t.Errorf("level %q: debug shown = %v, want %v:\n%s", tt.level, got, tt.debugShown, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		last := lines[len(lines)-1]
		var entry map[string]any
		isJSON := json.Unmarshal([]byte(last), &entry) == nil
		if isJSON != tt.json {
			t.Errorf("format %q: JSON = %v, want %v: %q", tt.format, isJSON, tt.json, last)
		}
		if tt.json && (entry["@message"] != "info line" || entry["user"] != "ann") {
			t.Errorf("JSON entry = %v", entry)
		}
		if !tt.json && !strings.Contains(last, "info line: user=ann") {
			t.Errorf("text entry = %q", last)
		}
	}
}

func TestRedactLeavesOtherTextAlone(t *testing.T) {
	r := NewRedactor([]string{"hunter2", "", "hunter"})
	tests := []struct{ in, want string }{
		{"password is hunter2!", "password is [redacted]!"},
		{"hunter alone", "[redacted] alone"},
		{"nothing secret, bot is fine", "nothing secret, bot is fine"},
		{"bot12:abc and hunter2", "bot[redacted] and [redacted]"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
