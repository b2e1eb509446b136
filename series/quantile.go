package series

import (
	"math"
	"sort"
)

// Quantile estimates the q-quantile of h with Prometheus histogram_quantile
// semantics: linear interpolation inside the bucket holding the rank (the
// first bucket's lower bound is 0, or its upper bound if that is ≤ 0); a rank
// in the +Inf bucket gives the upper bound of the last finite bucket. It
// returns NaN for an empty histogram, -Inf for q < 0 and +Inf for q > 1.
//
// One deviation from Prometheus, whose classic histograms keep no
// extremes: where h bounds its observations (h.Min, h.Max not NaN), the
// estimate is clamped to [Min, Max], so no quantile exceeds the maximum
// reported beside it (p50 2.5 ms from the 0–5 ms bucket when every request
// took 0.4 ms) nor falls below the minimum. Without extremes the result is
// exactly histogram_quantile's.
func Quantile(q float64, h Histogram) float64 {
	v := bucketQuantile(q, h)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	if v > h.Max { // false when Max is NaN
		v = h.Max
	}
	if v < h.Min {
		v = h.Min
	}
	return v
}

// bucketQuantile is histogram_quantile itself.
func bucketQuantile(q float64, h Histogram) float64 {
	if math.IsNaN(q) {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(1)
	}
	nb := len(h.Bounds)
	if nb == 0 || len(h.Counts) != nb+1 {
		return math.NaN()
	}
	cum := make([]uint64, nb+1)
	var total uint64
	for i, c := range h.Counts {
		total += c
		cum[i] = total
	}
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	b := sort.Search(len(cum), func(i int) bool { return float64(cum[i]) >= rank })
	if b == nb {
		return h.Bounds[nb-1]
	}
	if b == 0 && h.Bounds[0] <= 0 {
		return h.Bounds[0]
	}
	start, end := 0.0, h.Bounds[b]
	count := float64(cum[b])
	if b > 0 {
		start = h.Bounds[b-1]
		count -= float64(cum[b-1])
		rank -= float64(cum[b-1])
	}
	return start + (end-start)*(rank/count)
}
