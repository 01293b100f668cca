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
	// Redactor, when set, is used instead of one made of Secrets, so the
	// caller can teach it secrets a config reload brings.
	Redactor *Redactor
}

// New returns the host's root logger. Everything it and its sub-loggers
// write is redacted of opts.Secrets and of Telegram bot tokens in URLs.
func New(opts Options) hclog.Logger {
	out := opts.Output
	if out == nil {
		out = os.Stderr
	}
	redactor := opts.Redactor
	if redactor == nil {
		redactor = NewRedactor(opts.Secrets)
	}
	level := hclog.LevelFromString(strings.TrimSpace(opts.Level))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       "parley",
		Level:      level,
		Output:     redactor.Writer(out),
		JSONFormat: opts.Format == "json",
	})
}
