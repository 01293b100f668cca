package testwait

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPollReturnsOnceConditionHolds(t *testing.T) {
	var n atomic.Int32
	if !Poll(time.Second, func() bool { return n.Add(1) >= 3 }) {
		t.Fatal("Poll gave up on a condition that became true")
	}
	if got := n.Load(); got != 3 {
		t.Fatalf("cond evaluated %d times, want 3 (it must stop as soon as it holds)", got)
	}
}

func TestPollTimesOut(t *testing.T) {
	start := time.Now()
	if Poll(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll reported success for a condition that never held")
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("Poll gave up before its timeout")
	}
}

// fakeTB records Fatalf so Within's failure path can be checked without
// failing this test.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = format
}

func TestWithinFailsTheTestNamingWhatItAwaited(t *testing.T) {
	f := &fakeTB{}
	Within(f, 10*time.Millisecond, "the sentinel arrives", func() bool { return false })
	if f.failed == "" {
		t.Fatal("Within did not fail the test on timeout")
	}
}
