// Package app wires Parley's host together: store, plugins, Telegram intake
// and sender, dispatcher and HTTP listeners, and runs them until shutdown.
// It holds no logic of its own beyond the glue between those packages.
package app
