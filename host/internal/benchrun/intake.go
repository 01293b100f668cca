package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/percentile"
	"github.com/parley-dev/parley/host/internal/procstat"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// intakeResult is one row of the user → desk table.
type intakeResult struct {
	Arm           arm
	Conversations int
	Messages      int
	// Throughput is messages / (last received − first pushed).
	Throughput float64
	// P50 and P99 are push-to-desk latencies under the burst (queueing
	// included).
	P50, P99 time.Duration
	// IdleP50 is the push-to-desk latency of single messages sent one at a
	// time after the burst: the pipeline's own delay.
	IdleP50 time.Duration
	// Duplicates counts deliveries the desk got more than once.
	Duplicates int
	// HostRSS and PluginRSS are peak resident set sizes in bytes; 0 when
	// not measurable in this arm.
	HostRSS, PluginRSS int64
	// MinThroughput and MaxThroughput span every run of this arm when the
	// row is the median of several.
	MinThroughput, MaxThroughput float64
}

// medianRun returns the run with the median throughput, carrying the
// spread of all runs.
func medianRun(runs []intakeResult) intakeResult {
	sorted := append([]intakeResult(nil), runs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Throughput < sorted[j].Throughput })
	m := sorted[len(sorted)/2]
	m.MinThroughput, m.MaxThroughput = sorted[0].Throughput, sorted[len(sorted)-1].Throughput
	return m
}

// idleProbes is how many one-at-a-time messages measure IdleP50.
const idleProbes = 100

// runIntake pushes messages spread round-robin over conversations into
// fake Telegram as fast as it takes them, and times each one to the desk.
func runIntake(ctx context.Context, wc worldConfig, conversations, messages int) (res intakeResult, err error) {
	res = intakeResult{Arm: wc.arm, Conversations: conversations, Messages: messages}
	if wc.arm != armBinary {
		// Peak RSS of this process is only meaningful per scenario.
		procstat.ResetPeakRSS()
	}
	wc.deskProcess = true
	w, err := startWorld(ctx, wc)
	if err != nil {
		return res, err
	}
	defer func() {
		if stopErr := w.stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("host: %w; log:\n%s", stopErr, w.logs.tail(4000))
		}
	}()

	users := make([]int64, conversations)
	for i := range users {
		users[i] = w.tg.AddUser(telego.User{ID: int64(700000 + i), FirstName: "Bench", LastName: strconv.Itoa(i)}).ID
	}
	rec := newRecorder(messages, idleProbes)
	w.receiver.OnDeliver(rec.delivered)

	pushed := make([]time.Time, messages)
	for i := range messages {
		pushed[i] = time.Now()
		w.tg.SendText(users[i%conversations], "m"+strconv.Itoa(i))
	}
	if err := rec.wait(ctx, burstTimeout(messages)); err != nil {
		return res, fmt.Errorf("%w; log:\n%s", err, w.logs.tail(4000))
	}
	received, dups := rec.result()
	res.Duplicates = dups
	res.Throughput, res.P50, res.P99 = burstStats(pushed, received)

	// One message at a time: nothing queued ahead of it.
	idle := make([]time.Duration, idleProbes)
	for j := range idleProbes {
		start := time.Now()
		w.tg.SendText(users[j%conversations], "p"+strconv.Itoa(j))
		at, err := rec.waitProbe(ctx, j, 30*time.Second)
		if err != nil {
			return res, err
		}
		idle[j] = at.Sub(start)
	}
	res.IdleP50 = percentile.NearestRank(idle, 0.50)

	if wc.arm == armBinary {
		rss, _ := procstat.PeakRSS(w.hostPID)
		res.HostRSS = int64(rss)
	}
	if wc.arm != armBaseline {
		res.PluginRSS = pluginPeakRSS(w.hostPID)
	}
	return res, nil
}

// burstTimeout is how long a burst of messages may take to reach the desk.
func burstTimeout(messages int) time.Duration {
	return 60*time.Second + time.Duration(messages)*5*time.Millisecond
}

// burstStats is a burst's throughput (messages ÷ (last receipt − first
// push)) and its push-to-desk latencies, message i pushed at pushed[i] and
// received at received[i].
func burstStats(pushed, received []time.Time) (throughput float64, p50, p99 time.Duration) {
	lat := make([]time.Duration, len(received))
	last := received[0]
	for i, r := range received {
		lat[i] = r.Sub(pushed[i])
		if r.After(last) {
			last = r
		}
	}
	return float64(len(received)) / last.Sub(pushed[0]).Seconds(),
		percentile.NearestRank(lat, 0.50), percentile.NearestRank(lat, 0.99)
}

// recorder collects the desk's deliveries: burst messages "m<i>" by index,
// probes "p<j>" one by one.
type recorder struct {
	mu       sync.Mutex
	received []time.Time
	count    int
	dups     int
	done     chan struct{}
	probes   []chan time.Time
}

func newRecorder(messages, probes int) *recorder {
	r := &recorder{received: make([]time.Time, messages), done: make(chan struct{}), probes: make([]chan time.Time, probes)}
	for i := range r.probes {
		r.probes[i] = make(chan time.Time, 1)
	}
	return r
}

// delivered is the desk's OnDeliver callback.
func (r *recorder) delivered(d webhookdesk.Delivery) {
	text := d.Message.Text
	if len(text) < 2 {
		return
	}
	n, err := strconv.Atoi(text[1:])
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case strings.HasPrefix(text, "p") && n < len(r.probes):
		select {
		case r.probes[n] <- d.Received:
		default:
			r.dups++
		}
	case strings.HasPrefix(text, "m") && n < len(r.received):
		if !r.received[n].IsZero() {
			r.dups++
			return
		}
		r.received[n] = d.Received
		r.count++
		if r.count == len(r.received) {
			close(r.done)
		}
	}
}

// wait blocks until every burst message arrived.
func (r *recorder) wait(ctx context.Context, timeout time.Duration) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		r.mu.Lock()
		defer r.mu.Unlock()
		return fmt.Errorf("only %d of %d messages reached the desk within %s", r.count, len(r.received), timeout)
	}
}

func (r *recorder) waitProbe(ctx context.Context, j int, timeout time.Duration) (time.Time, error) {
	select {
	case at := <-r.probes[j]:
		return at, nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	case <-time.After(timeout):
		return time.Time{}, fmt.Errorf("probe message %d did not reach the desk within %s", j, timeout)
	}
}

func (r *recorder) result() ([]time.Time, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.received...), r.dups
}
