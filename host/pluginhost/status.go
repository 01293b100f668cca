package pluginhost

import (
	"time"

	"github.com/parley-dev/parley/sdk"
)

// State is where a channel's plugin is in its life.
type State string

// The states a channel moves through.
const (
	// StateStarting: the first start is under way.
	StateStarting State = "starting"
	// StateRunning: the plugin is configured and answering.
	StateRunning State = "running"
	// StateRestarting: the plugin died or stopped answering; a new process
	// is being started after a backoff.
	StateRestarting State = "restarting"
	// StateFailed: the plugin could not be started, or failed too often
	// within the failure window; it stays down until the host restarts.
	StateFailed State = "failed"
	// StateStopped: the manager was closed.
	StateStopped State = "stopped"
)

// Status is what operators see about one channel (the `parley plugins`
// table and the admin status page).
type Status struct {
	// Name is the operator's channel name; Plugin the plugin it runs.
	Name   string
	Plugin string
	// Path is the executable; SHA256 its checksum (hex), empty until read.
	Path   string
	SHA256 string
	// Version, Description and Capabilities come from the plugin's
	// Describe; empty until it answered once.
	Version      string
	Description  string
	Capabilities sdk.Capabilities
	State        State
	// Restarts counts successful restarts since the manager started.
	Restarts int
	// LastError is the latest start-up failure or crash, "" if none.
	LastError string
	// StartedAt is when the current process started; zero when none runs.
	StartedAt time.Time
	// Calls counts and times the calls made through the channel's handle,
	// by method name.
	Calls map[string]CallStats
}

// CallStats counts and times one method's calls.
type CallStats struct {
	Count  int64
	Errors int64
	// Total is the summed duration of all calls.
	Total time.Duration
}
