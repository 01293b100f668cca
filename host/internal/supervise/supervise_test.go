package supervise

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// untilDone is a task that runs until its context ends.
func untilDone(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestFirstErrorStopsEveryTaskAndWins(t *testing.T) {
	boom := errors.New("boom")
	var stopping []error
	drained, err := Run(context.Background(), Options{Grace: time.Minute, Stopping: func(err error) { stopping = append(stopping, err) }},
		Task{Name: "dispatcher", Run: untilDone},
		Task{Name: "admin listener", Run: func(context.Context) error {
			return boom
		}},
		Task{Name: "heartbeat", Run: func(ctx context.Context) error {
			// Fails only once the group is stopping: the cancellation,
			// not a second fault. (Failing merely after the first task
			// returned would race errgroup recording the first error.)
			<-ctx.Done()
			return errors.New("late")
		}},
	)
	if !errors.Is(err, boom) || err.Error() != "admin listener: boom" {
		t.Fatalf("err = %v, want the first task's error named after it", err)
	}
	if !drained {
		t.Fatal("drained = false; every task returned once cancelled")
	}
	if len(stopping) != 1 || !errors.Is(stopping[0], boom) {
		t.Fatalf("Stopping got %v, want the first error once", stopping)
	}
}

func TestCancelledContextIsNoError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() { <-started; cancel() }()
	stopped := false
	drained, err := Run(ctx, Options{Grace: time.Minute, Stopping: func(err error) { stopped = err == nil }},
		Task{Name: "a", Run: func(ctx context.Context) error { close(started); return untilDone(ctx) }},
		Task{Name: "b", Run: untilDone},
	)
	if err != nil || !drained || !stopped {
		t.Fatalf("Run = %v, %v (Stopping with nil: %v); want drained, no error", drained, err, stopped)
	}
}

func TestTaskReturningEarlyStopsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	stillRunning := make(chan struct{})
	go func() { <-finished; <-stillRunning; cancel() }()
	_, err := Run(ctx, Options{Grace: time.Minute},
		Task{Name: "intake", Run: func(context.Context) error { close(finished); return nil }},
		Task{Name: "dispatcher", Run: func(ctx context.Context) error {
			<-finished
			close(stillRunning) // still running after the other returned
			return untilDone(ctx)
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
}

func TestShutdownIsBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	drained, err := Run(ctx, Options{Grace: 50 * time.Millisecond},
		Task{Name: "stuck", Run: func(context.Context) error { <-release; return nil }},
	)
	if drained || err != nil {
		t.Fatalf("Run = %v, %v; want not drained, no error", drained, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Run waited %v for a stuck task; want about the grace", d)
	}
}

func TestReadinessWaitsForEveryNamedListener(t *testing.T) {
	pub := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	adm := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}
	extra := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3}
	cases := []struct {
		name    string
		reports []string // listeners reporting, in order
		fires   bool
	}{
		{"both", []string{"public", "admin"}, true},
		{"reverse order", []string{"admin", "public"}, true},
		// Counting reports (the old readyCount == 2) fired here.
		{"one listener twice", []string{"public", "public"}, false},
		{"an unlisted listener", []string{"public", "metrics"}, false},
		{"unlisted then both", []string{"metrics", "public", "admin"}, true},
		{"none", nil, false},
	}
	addr := map[string]net.Addr{"public": pub, "admin": adm, "metrics": extra}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls []map[string]net.Addr
			r := NewReadiness([]string{"public", "admin"}, func(a map[string]net.Addr) { calls = append(calls, a) })
			for _, n := range c.reports {
				r.Listening(n)(addr[n])
			}
			r.Listening("public")(pub) // a late report fires nothing more
			if !c.fires {
				if len(calls) != 0 {
					t.Fatalf("ready called with %v before every listed listener reported", calls[0])
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("ready called %d times, want once", len(calls))
			}
			if calls[0]["public"] != pub || calls[0]["admin"] != adm {
				t.Fatalf("ready got %v", calls[0])
			}
		})
	}
}

func TestReadinessWithoutCallback(t *testing.T) {
	r := NewReadiness([]string{"public"}, nil)
	r.Listening("public")(&net.TCPAddr{}) // must not panic
}
