package fleet

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Exemplar is one exemplar of a series: the trace of one observation.
type Exemplar struct {
	TraceID string
	SpanID  string
	// Series are the labels of the series the exemplar belongs to.
	Series map[string]string
	// Value is the observed value (a request's duration in seconds).
	Value float64
	Time  time.Time
}

// Exemplars returns the exemplars with a trace_id of the series q selects
// between start and end, newest first, one per trace, at most limit
// (limit ≤ 0: all within max_series).
func (c *Client) Exemplars(ctx context.Context, q string, start, end time.Time, limit int) ([]Exemplar, error) {
	res, err := c.QueryExemplars(ctx, q, start, end)
	if err != nil {
		return nil, err
	}
	var out []Exemplar
	for _, r := range res {
		series := make(map[string]string, len(r.SeriesLabels))
		for k, v := range r.SeriesLabels {
			series[string(k)] = string(v)
		}
		for _, e := range r.Exemplars {
			tid := string(e.Labels["trace_id"])
			if tid == "" {
				continue
			}
			out = append(out, Exemplar{TraceID: tid, SpanID: string(e.Labels["span_id"]), Series: series,
				Value: float64(e.Value), Time: e.Timestamp.Time()})
		}
	}
	slices.SortStableFunc(out, func(a, b Exemplar) int { return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.TraceID, b.TraceID)) })
	seen := map[string]bool{}
	kept := out[:0]
	for _, e := range out {
		if seen[e.TraceID] {
			continue
		}
		seen[e.TraceID] = true
		kept = append(kept, e)
		if limit > 0 && len(kept) == limit {
			break
		}
	}
	return kept, nil
}
