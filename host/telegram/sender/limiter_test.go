package sender

import (
	"testing"
	"testing/synctest"
	"time"
)

// The eviction is a timer, so the test runs in a synctest bubble: the idle
// period passes on the fake clock, exactly and at once.
func TestIdleChatLimitersAreEvicted(t *testing.T) {
	synctest.Test(t, testIdleChatLimitersAreEvicted)
}

func testIdleChatLimitersAreEvicted(t *testing.T) {
	o := Options{PerChatInterval: time.Millisecond, PerChatBurst: 1, GlobalRate: 1e6, IdleEvict: 300 * time.Millisecond}
	o.defaults()
	l := newLimits(o)
	for id := range int64(50) {
		if err := l.wait(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := l.size(); n != 50 {
		t.Fatalf("%d limiters after 50 chats", n)
	}
	l.pause(7, time.Minute)                            // a paused chat must keep its pause
	time.Sleep(300*time.Millisecond + time.Nanosecond) // fake time: just past IdleEvict
	if err := l.wait(t.Context(), 1000); err != nil {
		t.Fatal(err)
	}
	if n := l.size(); n != 2 {
		t.Errorf("%d limiters after the others went idle; want the new chat and the paused one", n)
	}
}

func TestPlain(t *testing.T) {
	tests := map[string]string{
		"<b>Hi</b> &amp; bye":           "Hi & bye",
		"line one\n\n<i>line</i>  two":  "line one\n\nline  two",
		`<a href="https://x.io">x</a>`:  "x",
		"<b>broken</i> 5 &lt; 6 & more": "broken 5 < 6 & more",
	}
	for in, want := range tests {
		if got := plain(in); got != want {
			t.Errorf("plain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	s := &Sender{opts: Options{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second}}
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: time.Second, 80: time.Second} {
		for range 20 {
			if d := s.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
}
