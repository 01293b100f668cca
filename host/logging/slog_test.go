package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestSlogWritesThroughTheHostLogger checks that a log/slog caller (telego,
// the intake) gets the host's format, level, names and redaction.
func TestSlogWritesThroughTheHostLogger(t *testing.T) {
	var out bytes.Buffer
	secret := "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	root := New(Options{Level: "info", Format: "json", Output: &out, Secrets: []string{secret}})
	log := Slog(root.Named("telegram")).With("bot", "parley_bot").WithGroup("poll")

	log.Debug("below the level")
	log.Warn("request failed", "url", "https://api.telegram.org/bot"+secret+"/getUpdates", "attempt", 2)

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want only the warning:\n%s", len(lines), out.String())
	}
	if strings.Contains(out.String(), secret) {
		t.Fatalf("the token leaked: %s", out.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"@level": "warn", "@message": "request failed", "@module": "parley.telegram.poll",
		"bot": "parley_bot", "attempt": float64(2),
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, line[k], v, lines[0])
		}
	}
}

func TestSlogLevels(t *testing.T) {
	cases := []struct {
		hclog string
		want  []string // messages written, of debug, info, warn, error
	}{
		{"debug", []string{"debug", "info", "warn", "error"}},
		{"info", []string{"info", "warn", "error"}},
		{"warn", []string{"warn", "error"}},
		{"error", []string{"error"}},
	}
	for _, c := range cases {
		t.Run(c.hclog, func(t *testing.T) {
			var out bytes.Buffer
			log := Slog(New(Options{Level: c.hclog, Format: "json", Output: &out}))
			log.Debug("debug")
			log.Info("info")
			log.Warn("warn")
			log.Error("error")
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var line map[string]any
				if l == "" {
					continue
				}
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatal(err)
				}
				if line["@level"] != line["@message"] {
					t.Errorf("%q written at level %v", line["@message"], line["@level"])
				}
				got = append(got, line["@message"].(string))
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("wrote %v, want %v", got, c.want)
			}
		})
	}
}
