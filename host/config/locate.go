package config

import (
	"strconv"
	"strings"
)

// locator maps key paths to the line where they are defined.
//
// Written by hand because BurntSushi/toml v1.6 records each key's position
// in an unexported field (MetaData.keyInfo) and only shows it in the error
// for the first decoding failure, while we report every problem at once.
// The scanner runs only on text toml has already accepted, so it can assume
// well-formed input and only needs to tell keys apart from string, array and
// inline-table contents.
type locator struct {
	lines map[string]int // joined key path → line of first definition
}

// locate scans TOML text that toml.Decode has accepted.
func locate(data []byte) *locator {
	s := &scanner{src: string(data), line: 1, lines: make(map[string]int)}
	s.document()
	return &locator{lines: s.lines}
}

// line returns where path is defined; for a table only implied by its
// children (channels in [channels.slack]) the first child's line; for a key
// absent from the file the line of its nearest defined parent; else 0.
func (l *locator) line(path []string) int {
	if n, ok := l.lines[joinPath(path)]; ok {
		return n
	}
	prefix := joinPath(path) + "\x00"
	first := 0
	for k, n := range l.lines {
		if strings.HasPrefix(k, prefix) && (first == 0 || n < first) {
			first = n
		}
	}
	if first > 0 {
		return first
	}
	for i := len(path) - 1; i > 0; i-- {
		if n, ok := l.lines[joinPath(path[:i])]; ok {
			return n
		}
	}
	return 0
}

// joinPath joins key segments with a byte no TOML key can contain unescaped
// in this map, so "a.b" (quoted) and a.b (dotted) stay distinct.
func joinPath(path []string) string { return strings.Join(path, "\x00") }

type scanner struct {
	src   string
	pos   int
	line  int
	lines map[string]int
}

func (s *scanner) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

func (s *scanner) record(path []string, line int) {
	if len(path) == 0 {
		return
	}
	k := joinPath(path)
	if _, ok := s.lines[k]; !ok {
		s.lines[k] = line
	}
}

// skipSpace skips blanks and comments, and newlines too when nl is set.
func (s *scanner) skipSpace(nl bool) {
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.pos++
		case c == '\n' && nl:
			s.pos++
			s.line++
		case c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the next newline without consuming it.
func (s *scanner) skipLine() {
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i
	} else {
		s.pos = len(s.src)
	}
}

// advance moves past n bytes, counting the newlines among them.
func (s *scanner) advance(n int) {
	end := min(s.pos+n, len(s.src))
	s.line += strings.Count(s.src[s.pos:end], "\n")
	s.pos = end
}

func (s *scanner) document() {
	var table []string
	for {
		s.skipSpace(true)
		if s.pos >= len(s.src) {
			return
		}
		line := s.line
		if s.peek() == '[' {
			s.pos++
			if s.peek() == '[' {
				s.pos++
			}
			table = s.key()
			s.record(table, line)
			s.skipLine()
			continue
		}
		start := s.pos
		k := s.key()
		if len(k) == 0 {
			if s.pos == start {
				s.skipLine()
			}
			continue
		}
		full := append(append([]string(nil), table...), k...)
		s.record(full, line)
		s.skipSpace(false)
		if s.peek() == '=' {
			s.pos++
		}
		s.skipSpace(false)
		s.value(full)
		s.skipLine()
	}
}

// key reads a possibly dotted, possibly quoted key.
func (s *scanner) key() []string {
	var k []string
	for {
		s.skipSpace(false)
		seg, ok := s.keySegment()
		if !ok {
			return k
		}
		k = append(k, seg)
		s.skipSpace(false)
		if s.peek() != '.' {
			return k
		}
		s.pos++
	}
}

func (s *scanner) keySegment() (string, bool) {
	switch c := s.peek(); {
	case c == '"':
		raw := s.basicString()
		if v, err := strconv.Unquote(`"` + raw + `"`); err == nil {
			return v, true
		}
		return raw, true
	case c == '\'':
		return s.literalString(), true
	case isBareKeyByte(c):
		start := s.pos
		for s.pos < len(s.src) && isBareKeyByte(s.src[s.pos]) {
			s.pos++
		}
		return s.src[start:s.pos], true
	}
	return "", false
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c >= 0x80
}

// value skips one value, recording keys inside inline tables under path.
func (s *scanner) value(path []string) {
	switch s.peek() {
	case '"':
		s.basicString()
	case '\'':
		s.literalString()
	case '[':
		s.array(path)
	case '{':
		s.inlineTable(path)
	default:
		for s.pos < len(s.src) && !strings.ContainsRune(",]}\n#", rune(s.src[s.pos])) {
			s.pos++
		}
	}
}

func (s *scanner) array(path []string) {
	s.pos++ // [
	for s.pos < len(s.src) {
		s.skipSpace(true)
		switch s.peek() {
		case ']':
			s.pos++
			return
		case ',':
			s.pos++
		default:
			start := s.pos
			s.value(path)
			if s.pos == start {
				s.pos++
			}
		}
	}
}

func (s *scanner) inlineTable(path []string) {
	s.pos++ // {
	for s.pos < len(s.src) {
		s.skipSpace(true) // TOML 1.1 allows newlines in inline tables
		switch s.peek() {
		case '}':
			s.pos++
			return
		case ',':
			s.pos++
			continue
		}
		line := s.line
		start := s.pos
		k := s.key()
		if len(k) == 0 {
			if s.pos == start {
				s.pos++
			}
			continue
		}
		full := append(append([]string(nil), path...), k...)
		s.record(full, line)
		s.skipSpace(true)
		if s.peek() == '=' {
			s.pos++
		}
		s.skipSpace(true)
		s.value(full)
	}
}

// basicString consumes a "..." or """...""" string and returns its raw
// (still escaped) contents.
func (s *scanner) basicString() string {
	if strings.HasPrefix(s.src[s.pos:], `"""`) {
		return s.multiline(`"""`, true)
	}
	s.pos++ // "
	start := s.pos
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '\\':
			s.pos += 2
		case '"', '\n':
			raw := s.src[start:s.pos]
			if s.src[s.pos] == '"' {
				s.pos++
			}
			return raw
		default:
			s.pos++
		}
	}
	return s.src[start:min(s.pos, len(s.src))]
}

// literalString consumes a literal (single-quoted) string, one-line or
// multi-line, and returns its contents.
func (s *scanner) literalString() string {
	if strings.HasPrefix(s.src[s.pos:], `'''`) {
		return s.multiline(`'''`, false)
	}
	s.pos++ // '
	end := strings.IndexAny(s.src[s.pos:], "'\n")
	if end < 0 {
		end = len(s.src) - s.pos
	}
	raw := s.src[s.pos : s.pos+end]
	s.pos += end
	if s.peek() == '\'' {
		s.pos++
	}
	return raw
}

// multiline consumes a multi-line string opened by delim (three double or
// three single quotes); it may end with up to two extra quote characters
// that belong to the contents.
func (s *scanner) multiline(delim string, escapes bool) string {
	s.pos += len(delim)
	start := s.pos
	for s.pos < len(s.src) {
		if escapes && s.src[s.pos] == '\\' {
			s.advance(2)
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			for n := 0; n < 2 && s.pos+len(delim) < len(s.src) && s.src[s.pos+len(delim)] == delim[0]; n++ {
				s.pos++
			}
			raw := s.src[start:s.pos]
			s.pos += len(delim)
			return raw
		}
		s.advance(1)
	}
	return s.src[start:]
}
