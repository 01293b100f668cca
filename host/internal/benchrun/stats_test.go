package main

import (
	"testing"
	"time"
)

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
