package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration file.
type Problem struct {
	File    string // file name as given to Parse or Load
	Line    int    // 1-based line, or 0 when the key is absent from the file
	Key     string // dotted key path, such as "channels.slack.config"; "" for syntax errors
	Message string // what is wrong; never contains a secret value
	Fix     string // how to fix it; may be ""
}

// String formats the problem as "file:line: key: message (fix)".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Fix != "" {
		fmt.Fprintf(&b, " (%s)", p.Fix)
	}
	return b.String()
}

// Errors is every problem found in one configuration file, in file order.
// It is the error type Parse and Load return for an invalid file.
type Errors []Problem

// Error lists one problem per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
