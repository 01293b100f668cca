package main

import "time"

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
