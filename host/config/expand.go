package config

import (
	"fmt"
	"strings"
)

// LookupFunc returns the value of an environment variable and whether it is
// set, like os.LookupEnv.
type LookupFunc func(name string) (string, bool)

// expandError reports what kept a string from being expanded. It never
// holds a variable's value.
type expandError struct {
	missing []string // names of unset variables
	syntax  string   // a malformed reference, described
}

func (e *expandError) Error() string {
	if e.syntax != "" {
		return e.syntax
	}
	if len(e.missing) == 1 {
		return fmt.Sprintf("environment variable %s is not set", e.missing[0])
	}
	return fmt.Sprintf("environment variables %s are not set", strings.Join(e.missing, ", "))
}

// expand replaces ${NAME} with the variable's value and ${NAME:-default}
// with its value, or default when it is unset or empty; "$${" is a literal
// "${". A bare $NAME is left alone.
//
// Hand-written rather than os.Expand or a shell-interpolation library
// because those also expand bare $NAME, which would corrupt passwords that
// contain "$", and they turn an unset variable into "" silently.
func expand(s string, lookup LookupFunc) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var (
		b       strings.Builder
		missing []string
	)
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return "", &expandError{syntax: `unterminated "${": close it with "}" or write "$${" for a literal "${"`}
		}
		name, def, hasDef := strings.Cut(rest[:end], ":-")
		if !validVarName(name) {
			return "", &expandError{syntax: fmt.Sprintf("invalid variable name %q in ${...}", name)}
		}
		v, ok := lookup(name)
		switch {
		case ok && (v != "" || !hasDef):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			missing = append(missing, name)
		}
		s = rest[end+1:]
	}
	if missing != nil {
		return "", &expandError{missing: missing}
	}
	return b.String(), nil
}

// validVarName reports whether name is a POSIX shell variable name.
func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
