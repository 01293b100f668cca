package pluginhost

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStderrTailBlamesTheTellingLine(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"nothing", nil, ""},
		{"plain lines", []string{"starting\n", "cannot bind :80\n", "\n"}, "cannot bind :80"},
		{"hclog JSON", []string{`{"@level":"error","@message":"connect failed","error":"dial tcp: refused"}` + "\n"},
			"connect failed: dial tcp: refused"},
		{"hclog JSON without error", []string{`{"@level":"info","@message":"ready"}` + "\n"}, "ready"},
		{"a panic wins over its stack", []string{"panic: nil map\n", "\n", "goroutine 1 [running]:\n", "main.main()\n"},
			"panic: nil map"},
		{"line split across writes", []string{"half a ", "line\n"}, "half a line"},
		{"unterminated last line", []string{"first\n", "last words"}, "last words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tail stderrTail
			for _, w := range tt.writes {
				if n, err := tail.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := tail.last(); got != tt.want {
				t.Errorf("last() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStderrTailIsBounded(t *testing.T) {
	var tail stderrTail
	for range 1000 {
		_, _ = tail.Write([]byte(strings.Repeat("x", 10_000) + "\n"))
	}
	if len(tail.lines) > tailLines {
		t.Errorf("kept %d lines", len(tail.lines))
	}
	if got := tail.last(); len(got) != tailLineMax {
		t.Errorf("kept a line of %d bytes, want %d", len(got), tailLineMax)
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	o := Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.withDefaults()
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := o.backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, w*time.Millisecond)
		}
	}
}

func TestHookURL(t *testing.T) {
	tests := []struct{ public, channel, want string }{
		{"https://parley.example", "support", "https://parley.example/hooks/support"},
		{"https://parley.example/base/", "support", "https://parley.example/base/hooks/support"},
		{"https://parley.example", "help desk", "https://parley.example/hooks/help%20desk"},
		{"", "support", ""},
	}
	for _, tt := range tests {
		if got := hookURL(tt.public, tt.channel); got != tt.want {
			t.Errorf("hookURL(%q, %q) = %q, want %q", tt.public, tt.channel, got, tt.want)
		}
	}
}

func TestSpecValidation(t *testing.T) {
	pin := strings.Repeat("aB", 32)
	tests := []struct {
		spec Spec
		ok   bool
	}{
		{Spec{Name: "support", Plugin: "slack"}, true},
		{Spec{Name: "support", Plugin: "help-scout_2.x", SHA256: pin}, true},
		{Spec{Name: "", Plugin: "slack"}, false},
		{Spec{Name: "support", Plugin: ""}, false},
		{Spec{Name: "support", Plugin: "a/b"}, false},
		{Spec{Name: "support", Plugin: ".."}, false},
		{Spec{Name: "support", Plugin: "slack", SHA256: "xyz"}, false},
		{Spec{Name: "support", Plugin: "slack", SHA256: pin[:62]}, false},
	}
	for _, tt := range tests {
		err := tt.spec.validate()
		if (err == nil) != tt.ok {
			t.Errorf("validate(%+v) = %v, want ok=%v", tt.spec, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("validate(%+v) = %v, not ErrInvalidSpec", tt.spec, err)
		}
	}
}

func TestEscapeKeepsALineOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, quotes \" and \\ stay": "plain text, quotes \" and \\ stay",
		"a\nb\r\nc":                         `a\nb\r\nc`,
		"bell\a esc\x1b[2J":                 `bell\a esc\x1b[2J`,
		"sep\u2028para\u2029next\u0085":     `sep\u2028para\u2029next\u0085`,
		"bad \xff utf8, ok é":               `bad \xff utf8, ok é`,
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLineWriterJoinsPiecesAndBoundsLines(t *testing.T) {
	var lines []string
	w := &lineWriter{emit: func(l []byte) { lines = append(lines, string(l)) }}
	for _, p := range []string{"one", " line\ntwo\n", strings.Repeat("x", maxLogLine+10), "\nend"} {
		w.Write([]byte(p))
	}
	w.Write([]byte("\n"))
	if len(lines) != 4 || lines[0] != "one line" || lines[1] != "two" || len(lines[2]) != maxLogLine || lines[3] != "end" {
		t.Errorf("lines = %d: %.40q", len(lines), lines)
	}
}
