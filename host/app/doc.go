// Package app wires Parley's host together: store, plugins, Telegram intake
// and sender, dispatcher and HTTP listeners, and runs them until shutdown.
// The intake rules are host/inbound, the CLI reports render in host/cli,
// the task supervisor is host/internal/supervise and the log/slog bridge
// is host/logging.
package app
