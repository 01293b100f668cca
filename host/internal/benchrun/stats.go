package main

import (
	"slices"
	"time"
)

// percentile returns the nearest-rank q-quantile (0 < q ≤ 1) of d; it
// sorts d in place.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	// Nearest rank: the smallest value with at least q of the samples at or
	// below it.
	rank := int(q*float64(len(d)) + 0.999999)
	rank = min(max(rank, 1), len(d))
	return d[rank-1]
}

// maxInWindow is the largest number of times within any window of length
// win; times must be sorted.
func maxInWindow(times []time.Time, win time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= win {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
