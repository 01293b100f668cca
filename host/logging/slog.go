package logging

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// Slog returns a log/slog logger that writes into log, so packages that
// log through log/slog (telego, the Telegram intake) share the host's one
// format and one redactor.
func Slog(log hclog.Logger) *slog.Logger { return slog.New(hclogHandler{log}) }

// hclogHandler is the slog.Handler behind Slog.
type hclogHandler struct{ log hclog.Logger }

func (h hclogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.log.GetLevel() <= toHclogLevel(l)
}

func (h hclogHandler) Handle(_ context.Context, r slog.Record) error {
	args := make([]any, 0, 2*r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, a.Key, a.Value.Any())
		return true
	})
	h.log.Log(toHclogLevel(r.Level), r.Message, args...)
	return nil
}

func (h hclogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	args := make([]any, 0, 2*len(attrs))
	for _, a := range attrs {
		args = append(args, a.Key, a.Value.Any())
	}
	return hclogHandler{h.log.With(args...)}
}

func (h hclogHandler) WithGroup(name string) slog.Handler { return hclogHandler{h.log.Named(name)} }

func toHclogLevel(l slog.Level) hclog.Level {
	switch {
	case l >= slog.LevelError:
		return hclog.Error
	case l >= slog.LevelWarn:
		return hclog.Warn
	case l >= slog.LevelInfo:
		return hclog.Info
	default:
		return hclog.Debug
	}
}
