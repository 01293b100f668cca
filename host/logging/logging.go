package logging

import (
	"io"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Options configure New.
type Options struct {
	// Level is an hclog level name: trace, debug, info, warn, error or off.
	// Empty or unknown means info.
	Level string
	// Format is "json" for one JSON object per line; anything else is
	// hclog's human-readable text.
	Format string
	// Output receives the log lines; nil means os.Stderr.
	Output io.Writer
	// Secrets are values that must never be written (config.Secrets()).
	Secrets []string
}

// New returns the host's root logger. Everything it and its sub-loggers
// write is redacted of opts.Secrets and of Telegram bot tokens in URLs.
func New(opts Options) hclog.Logger {
	out := opts.Output
	if out == nil {
		out = os.Stderr
	}
	level := hclog.LevelFromString(strings.TrimSpace(opts.Level))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       "parley",
		Level:      level,
		Output:     NewRedactor(opts.Secrets).Writer(out),
		JSONFormat: opts.Format == "json",
	})
}
