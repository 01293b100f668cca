package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "30s",
// "5m" or "168h" (time.ParseDuration syntax), optionally led by a number
// of days: "90d", "1d12h".
type Duration struct {
	time.Duration
}

// maxDays keeps a day count's product inside time.Duration (about 292
// years).
const maxDays = 100 * 365

// UnmarshalText parses a duration string. time.ParseDuration has no day
// unit, and retention periods are written in days, so a leading "<n>d" is
// read here (a day being 24 hours).
func (d *Duration) UnmarshalText(text []byte) error {
	s := string(text)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > maxDays {
			return invalidDuration(text)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			d.Duration = days
			return nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || (days > 0 && v < 0) {
		return invalidDuration(text)
	}
	d.Duration = days + v
	return nil
}

func invalidDuration(text []byte) error {
	return fmt.Errorf("invalid duration %q: write a number with a unit, such as \"30s\", \"5m\" or \"90d\"", text)
}

// MarshalText writes the duration in time.Duration.String form.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
