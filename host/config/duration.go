package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "30s",
// "5m" or "168h" (time.ParseDuration syntax).
type Duration struct {
	time.Duration
}

// UnmarshalText parses a duration string.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a number with a unit, such as \"30s\" or \"5m\"", text)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration in time.Duration.String form.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
