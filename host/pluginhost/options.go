package pluginhost

import (
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/sdk"
)

// Options configure a [Manager]. Only Dir is required; zero durations and
// counts take the defaults below.
type Options struct {
	// Dir holds the parley-channel-<plugin> executables.
	Dir string
	// PublicURL is the host's public base URL; each channel is configured
	// with <PublicURL>/hooks/<name>. Empty when the host has none.
	PublicURL string
	// Host returns the host services (reply intake, file access) a channel's
	// plugin may call back. Nil means plugins get no callbacks.
	Host func(channel string) sdk.Host
	// Logger receives the manager's logs; each channel logs, and its
	// plugin's stderr appears, under "plugin.<name>". Nil discards.
	Logger hclog.Logger

	// StartTimeout bounds the go-plugin handshake (default 10s).
	StartTimeout time.Duration
	// CallTimeout bounds Describe and Configure at start (default 10s).
	CallTimeout time.Duration
	// StopTimeout bounds stopping one plugin (default 5s).
	StopTimeout time.Duration
	// ExitPollInterval is how often the process is checked for an exit
	// (default 250ms).
	ExitPollInterval time.Duration
	// PingInterval is how often the plugin's health service is pinged
	// (default 10s); PingTimeout bounds one ping (default 5s).
	PingInterval time.Duration
	PingTimeout  time.Duration
	// MinBackoff and MaxBackoff bound the wait before a restart (defaults
	// 500ms and 30s); it doubles with each failure in the window.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// MaxFailures within FailureWindow mark a channel failed instead of
	// restarting it again (defaults 5 and 10 minutes).
	MaxFailures   int
	FailureWindow time.Duration

	// PostReplyRate is how many replies a second one channel's plugin may
	// post through the host (default 50), with bursts of PostReplyBurst
	// (default 100); more are refused with a ResourceExhausted error that
	// carries the wait.
	PostReplyRate  float64
	PostReplyBurst int
	// LogLinesPerSecond is how many stderr lines a second one plugin may
	// log (default 100), with bursts of LogBurst (default 500); the rest
	// are dropped and counted in a warning every LogDropReport (default
	// 10s).
	LogLinesPerSecond float64
	LogBurst          int
	LogDropReport     time.Duration

	// Observe, when set, is told about every call made through a channel
	// handle (for metrics): method is "Describe", "Deliver", ...
	Observe func(channel, method string, took time.Duration, err error)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.StartTimeout, 10*time.Second)
	def(&o.CallTimeout, 10*time.Second)
	def(&o.StopTimeout, 5*time.Second)
	def(&o.ExitPollInterval, 250*time.Millisecond)
	def(&o.PingInterval, 10*time.Second)
	def(&o.PingTimeout, 5*time.Second)
	def(&o.MinBackoff, 500*time.Millisecond)
	def(&o.MaxBackoff, 30*time.Second)
	def(&o.FailureWindow, 10*time.Minute)
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.PostReplyRate <= 0 {
		o.PostReplyRate = 50
	}
	if o.PostReplyBurst <= 0 {
		o.PostReplyBurst = 100
	}
	if o.LogLinesPerSecond <= 0 {
		o.LogLinesPerSecond = 100
	}
	if o.LogBurst <= 0 {
		o.LogBurst = 500
	}
	def(&o.LogDropReport, 10*time.Second)
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return o
}

// backoff is the wait before restart attempt n (1-based): MinBackoff
// doubled per earlier failure, capped at MaxBackoff. Written by hand: the
// attempt number comes from the failure window, which backoff libraries
// (sethvargo/go-retry) do not model, and the rule is three lines.
func (o Options) backoff(n int) time.Duration {
	d := o.MinBackoff
	for i := 1; i < n && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}
