package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose
	}
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of odd", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 0.5, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 1, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.q); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestMaxInWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms ...int) []time.Time {
		out := make([]time.Time, len(ms))
		for i, m := range ms {
			out[i] = t0.Add(time.Duration(m) * time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name  string
		times []time.Time
		want  int
	}{
		{"none", nil, 0},
		{"burst then steady", at(0, 0, 0, 1000, 2000, 3000), 3},
		{"window is half-open", at(0, 999, 1000), 2},
		{"dense middle", at(0, 1500, 1600, 1700, 2400, 4000), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxInWindow(tt.times, time.Second); got != tt.want {
				t.Errorf("maxInWindow = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tparley\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40000 kB\n"
	got, err := parseVmHWM(strings.NewReader(status))
	if err != nil || got != 50<<20 {
		t.Fatalf("parseVmHWM = %d, %v; want %d", got, err, 50<<20)
	}
	if _, err := parseVmHWM(strings.NewReader("Name:\tx\n")); err == nil {
		t.Fatal("a status without VmHWM parsed")
	}
}

func TestPeakRSSOfThisProcess(t *testing.T) {
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1 // touch every page so it is resident
	}
	rss, err := peakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < int64(len(ballast)) {
		t.Errorf("peak RSS %d is below the %d bytes this test made resident", rss, len(ballast))
	}
	if _, err := peakRSS(0); err == nil { // /proc/0 does not exist
		t.Error("peakRSS(0) did not fail")
	}
}

func TestParseCounts(t *testing.T) {
	got, err := parseCounts("1, 100,1000", 3000)
	if err != nil || len(got) != 3 || got[2] != 1000 {
		t.Fatalf("parseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "x", "5000"} {
		if _, err := parseCounts(bad, 3000); err == nil {
			t.Errorf("parseCounts(%q) accepted", bad)
		}
	}
}

func TestMedianRunKeepsTheSpread(t *testing.T) {
	runs := []intakeResult{{Throughput: 2100, Duplicates: 1}, {Throughput: 1500}, {Throughput: 3000}}
	m := medianRun(runs)
	if m.Throughput != 2100 || m.Duplicates != 1 || m.MinThroughput != 1500 || m.MaxThroughput != 3000 {
		t.Fatalf("median of %v = %+v", runs, m)
	}
	if one := medianRun(runs[:1]); one.Throughput != 2100 || one.MinThroughput != 2100 || one.MaxThroughput != 2100 {
		t.Fatalf("single run = %+v", one)
	}
}
