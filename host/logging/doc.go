// Package logging builds the host's hclog logger and keeps secrets out of
// everything it writes.
//
// Every line passes through a [Redactor] before it reaches the output: each
// configured secret is replaced by "[redacted]" in the forms a log line may
// carry it (as is, JSON-escaped, Go-quoted, URL-escaped), and any Telegram
// URL path segment bot<id>:<token> becomes bot[redacted] even when the
// token was not configured.
package logging
