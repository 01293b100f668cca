package pluginhost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"
)

// pluginLog shows one channel's plugin output (its hclog JSON on stderr,
// and stray writes to its stdout and stderr that go-plugin streams over
// gRPC) in the host's log, so that a plugin can neither forge host lines
// nor drown the log:
//
//   - every line is logged under the channel's logger with a channel
//     attribute, and newlines and other control characters in its message,
//     keys and values are escaped, so one plugin line is one host line;
//   - at most LogLinesPerSecond lines a second (bursts of LogBurst) are
//     logged; the rest are counted and reported once per LogDropReport.
//
// go-plugin's own stderr parsing is switched off (see quietStderr): it
// writes messages as they come and panics on a JSON line whose @message is
// not a string. The limiter lives as long as the channel, across restarts.
type pluginLog struct {
	log     hclog.Logger
	channel string
	lim     *rate.Limiter
	every   time.Duration
	now     func() time.Time

	mu      sync.Mutex
	dropped int
	report  *time.Timer // pending drop report, nil when none
}

func newPluginLog(log hclog.Logger, channel string, perSecond float64, burst int, every time.Duration) *pluginLog {
	return &pluginLog{log: log, channel: channel, lim: rate.NewLimiter(rate.Limit(perSecond), burst), every: every, now: time.Now}
}

// maxLogLine bounds one line (go-plugin hands longer ones over in 64 KiB
// pieces); the rest of a longer line is cut.
const maxLogLine = 64 << 10

// stderr returns the writer for one process's stderr lines as go-plugin
// hands them over (ClientConfig.Stderr): hclog JSON, or plain text.
func (p *pluginLog) stderr() io.Writer {
	inPanic := false // the lines after a Go panic are its stack: errors too
	return &lineWriter{emit: func(l []byte) {
		if bytes.HasPrefix(l, []byte("panic: ")) || bytes.HasPrefix(l, []byte("fatal error: ")) {
			inPanic = true
		}
		p.line(l, !inPanic, inPanic)
	}}
}

// stdio returns the writer for one of the process's streamed stdout or
// stderr (ClientConfig.SyncStdout/SyncStderr): plain text.
func (p *pluginLog) stdio() io.Writer {
	return &lineWriter{emit: func(l []byte) { p.line(l, false, false) }}
}

// line logs one line of plugin output, or counts it as dropped.
func (p *pluginLog) line(raw []byte, jsonAllowed, isError bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return
	}
	level, msg, args := parseLine(raw, jsonAllowed)
	if isError {
		level = hclog.Error
	}
	if level < p.log.GetLevel() {
		return // the host would not show it: neither shown nor dropped
	}
	if !p.lim.AllowN(p.now(), 1) {
		p.drop()
		return
	}
	p.log.Log(level, msg, append([]any{"channel", p.channel}, args...)...)
}

// drop counts a dropped line and makes sure a report is pending.
func (p *pluginLog) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped++
	if p.report == nil {
		p.report = time.AfterFunc(p.every, p.reportDropped)
	}
}

// reportDropped logs how many lines were dropped since the last report.
func (p *pluginLog) reportDropped() {
	p.mu.Lock()
	n := p.dropped
	p.dropped, p.report = 0, nil
	p.mu.Unlock()
	if n > 0 {
		p.log.Warn(fmt.Sprintf("plugin %s: %d log lines dropped", p.channel, n),
			"channel", p.channel, "dropped", n, "limit_per_second", float64(p.lim.Limit()), "burst", p.lim.Burst())
	}
}

// parseLine reads one line as hclog JSON when it is a JSON object with a
// level, else as text whose level is inferred from a "[LEVEL]" prefix as
// go-plugin does. Everything returned is escaped.
func parseLine(raw []byte, jsonAllowed bool) (hclog.Level, string, []any) {
	if jsonAllowed && bytes.HasPrefix(raw, []byte("{")) {
		var entry map[string]any
		if json.Unmarshal(raw, &entry) == nil {
			lvl, _ := entry["@level"].(string)
			if level := hclog.LevelFromString(lvl); level != hclog.NoLevel {
				msg := escape(fmt.Sprint(entry["@message"]))
				if _, ok := entry["@message"]; !ok {
					msg = ""
				}
				var args []any
				for _, k := range slices.Sorted(maps.Keys(entry)) {
					switch k {
					case "@level", "@message", "@timestamp", "@module", "@caller":
						continue
					}
					key := escape(k)
					if key == "channel" {
						key = "plugin.channel" // ours names the channel
					}
					args = append(args, key, escapeValue(entry[k]))
				}
				return level, msg, args
			}
		}
	}
	text := escape(string(raw))
	for _, l := range []struct {
		prefix string
		level  hclog.Level
	}{{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info}, {"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error},
		{"panic: ", hclog.Error}, {"fatal error: ", hclog.Error}} {
		if strings.HasPrefix(text, l.prefix) {
			return l.level, text, nil
		}
	}
	return hclog.Debug, text, nil
}

// escapeValue escapes a decoded JSON value for a log attribute: strings
// are escaped, anything else is written as compact JSON (which escapes
// control characters itself).
func escapeValue(v any) string {
	if s, ok := v.(string); ok {
		return escape(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return escape(fmt.Sprint(v))
	}
	return escape(string(b))
}

// escape makes s safe to put on one log line: control characters
// (newlines, carriage returns, escape sequences), Unicode line separators
// and invalid UTF-8 become Go escapes ("\n", "\x1b", "\u2028"). Written by
// hand: strconv.Quote would also escape quotes and backslashes and wrap
// the whole, making ordinary messages harder to read.
func escape(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case needsEscape(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// lineWriter splits what is written to it into lines for emit, keeping at
// most maxLogLine bytes of each.
type lineWriter struct {
	mu   sync.Mutex
	part []byte
	emit func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rest := p
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			w.keep(rest)
			return len(p), nil
		}
		w.keep(rest[:i])
		w.emit(w.part)
		w.part = w.part[:0]
		rest = rest[i+1:]
	}
}

func (w *lineWriter) keep(b []byte) {
	if room := maxLogLine - len(w.part); room > 0 {
		w.part = append(w.part, b[:min(len(b), room)]...)
	}
}

// quietStderr is the logger handed to go-plugin: the host's, except that
// the logger go-plugin makes for the plugin's stderr (named after the
// binary) is off, so go-plugin neither parses nor logs those lines;
// pluginLog does, from ClientConfig.Stderr, which go-plugin still feeds.
type quietStderr struct {
	hclog.Logger
	binary string
}

// off is a logger whose level is Off: go-plugin checks for exactly that
// before it parses a line.
var off = hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})

// Named implements hclog.Logger.
func (q quietStderr) Named(name string) hclog.Logger {
	if name == q.binary {
		return off
	}
	return q.Logger.Named(name)
}
