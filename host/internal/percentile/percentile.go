// Package percentile computes the latency quantiles the benchmark and the
// soak report.
package percentile

import (
	"slices"
	"time"
)

// NearestRank returns the nearest-rank q-quantile (0 < q ≤ 1) of d, 0 for
// no samples; it sorts d in place.
func NearestRank(d []time.Duration, q float64) time.Duration {
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
