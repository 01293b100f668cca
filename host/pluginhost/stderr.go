package pluginhost

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// stderrTail keeps the last lines a plugin wrote to stderr, so a plugin
// that dies can be blamed with its own last words. go-plugin writes each
// raw stderr line to it (ClientConfig.Stderr) besides logging it.
type stderrTail struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

const (
	tailLines   = 20
	tailLineMax = 300
)

// Write implements io.Writer; go-plugin writes a line, then "\n".
func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rest := p
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(t.part) < tailLineMax {
				t.part = append(t.part, rest[:min(len(rest), tailLineMax-len(t.part))]...)
			}
			return len(p), nil
		}
		line := append(t.part, rest[:min(i, max(0, tailLineMax-len(t.part)))]...)
		t.part = nil
		t.lines = append(t.lines, string(line))
		if len(t.lines) > tailLines {
			t.lines = t.lines[len(t.lines)-tailLines:]
		}
		rest = rest[i+1:]
	}
}

// last returns the most telling recent line: a Go panic or fatal error if
// there is one, else the last non-empty line; hclog JSON is reduced to its
// message and error. Control characters are escaped: the line ends up in
// errors, logs and the status page.
func (t *stderrTail) last() string { return escape(t.lastRaw()) }

func (t *stderrTail) lastRaw() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.part) > 0 {
		lines = append(lines[:len(lines):len(lines)], string(t.part))
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return l
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return readable(l)
		}
	}
	return ""
}

// readable turns an hclog JSON line into "message: error".
func readable(line string) string {
	var entry map[string]any
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &entry) != nil {
		return line
	}
	msg, _ := entry["@message"].(string)
	if e, ok := entry["error"].(string); ok && e != "" {
		if msg == "" {
			return e
		}
		return msg + ": " + e
	}
	if msg == "" {
		return line
	}
	return msg
}
