package pluginhost

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parley-dev/parley/sdk"
)

// Start-up failures. Errors returned by [Manager.Start] and [Check] wrap
// one of these, so callers can tell them apart with errors.Is; the message
// around it says what to do.
var (
	// ErrInvalidSpec: the channel spec itself is unusable (no name, a
	// plugin name with a path in it, a malformed pin, a duplicate name).
	ErrInvalidSpec = errors.New("invalid channel spec")
	// ErrNotFound: no executable where the plugin should be.
	ErrNotFound = errors.New("plugin binary not found")
	// ErrNotExecutable: the file is there but cannot be run.
	ErrNotExecutable = errors.New("plugin binary is not executable")
	// ErrChecksumMismatch: the binary is not the one the sha256 pin names.
	ErrChecksumMismatch = errors.New("plugin checksum mismatch")
	// ErrNotPlugin: the program ran but never spoke the plugin handshake.
	ErrNotPlugin = errors.New("not a Parley channel plugin")
	// ErrCrashed: the plugin process died while starting.
	ErrCrashed = errors.New("plugin crashed at start")
	// ErrProtocolMismatch: the plugin speaks another protocol version.
	ErrProtocolMismatch = errors.New("plugin protocol version mismatch")
	// ErrStartTimeout: the plugin did not finish the handshake in time.
	ErrStartTimeout = errors.New("plugin did not start in time")
	// ErrConfigRejected: the plugin refused the channel's config table.
	ErrConfigRejected = errors.New("config rejected")
	// ErrUnavailable is wrapped by every call made through a channel handle
	// while its plugin is starting, restarting, failed or stopped.
	ErrUnavailable = errors.New("plugin unavailable")
)

// ConfigRejectedError lists the per-key problems a plugin found in its
// channel's config table. It matches [ErrConfigRejected].
type ConfigRejectedError struct {
	Channel  string
	Problems []sdk.ConfigError
}

// Error lists every problem on one line, each with its full key path.
func (e *ConfigRejectedError) Error() string {
	parts := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		parts = append(parts, e.KeyPath(p.Key)+": "+p.Message)
	}
	return fmt.Sprintf("channel %q: %s: %s", e.Channel, ErrConfigRejected, strings.Join(parts, "; "))
}

// KeyPath is the operator's path to a key of the channel's config table,
// as written in the config file.
func (e *ConfigRejectedError) KeyPath(key string) string {
	p := "channels." + e.Channel + ".config"
	if key != "" {
		p += "." + key
	}
	return p
}

// Is makes errors.Is(err, ErrConfigRejected) true.
func (e *ConfigRejectedError) Is(target error) bool { return target == ErrConfigRejected }

// unavailableError is what a handle returns while there is no process to
// call; it is always wrapped in sdk.RetryAfter.
type unavailableError struct {
	channel string
	state   State
	cause   error
}

func (e *unavailableError) Error() string {
	verb := "is"
	if e.state == StateFailed {
		verb = "has"
	}
	msg := fmt.Sprintf("plugin %s %s %s", e.channel, verb, e.state)
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

// Is matches ErrUnavailable. The cause is deliberately not unwrapped: a
// permanent marker on it (a rejected config during a restart) must not
// make callers drop work that will succeed once the plugin is back.
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }
