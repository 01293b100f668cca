// Package testwait is the one polling helper the tests share: wait until a
// condition holds, fail the test with what was awaited when it never does.
//
// It is hand-written because the project's tests use only the standard
// library's testing package; a dependency such as testify for one function
// would be heavier than these few lines.
package testwait

import (
	"testing"
	"time"
)

// DefaultTimeout is how long For waits: long enough for a loaded CI machine
// running the race detector, short enough that a stuck test fails this year.
const DefaultTimeout = 10 * time.Second

// pollInterval is how often cond is evaluated; short, since cond is cheap.
const pollInterval = 5 * time.Millisecond

// For polls cond until it returns true and fails the test (t.Fatalf) after
// DefaultTimeout, naming what it waited for. Call it only from the test's
// own goroutine, as t.Fatalf requires.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, DefaultTimeout, what, cond)
}

// Within is For with an explicit timeout.
func Within(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting until %s", timeout, what)
	}
}

// Poll polls cond until it returns true or timeout passes, reporting whether
// it held. Use it where the caller decides what a timeout means (for example
// a helper that returns an error instead of failing the test).
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}
