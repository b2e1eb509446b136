package reporting

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// PromQuerier runs an instant PromQL query (*fleet.Client is one).
type PromQuerier interface {
	Query(ctx context.Context, q string, ts time.Time) (model.Vector, error)
}

// ExemplarQuerier reads the exemplars of the series a selector selects
// (*fleet.Client is one).
type ExemplarQuerier interface {
	Exemplars(ctx context.Context, q string, start, end time.Time, limit int) ([]fleet.Exemplar, error)
}

// FleetSource answers the summaries for the whole fleet from the
// Prometheus that scrapes every replica: the counts of
// http_server_request_duration_seconds over the window, exact for a
// finished window (see ExactIncrease), and its buckets for the quantiles.
type FleetSource struct {
	q        PromQuerier
	ex       ExemplarQuerier // nil: no exemplars
	matchers []string
}

var _ Source = (*FleetSource)(nil)

// NewFleetSource returns a source querying q; extraMatchers (rendered
// PromQL matchers such as job="vigil") are added to every selector. When q
// is also an ExemplarQuerier (as *fleet.Client is), the fleet report's top
// errors include the failing requests of every replica, from their
// exemplars.
func NewFleetSource(q PromQuerier, extraMatchers []string) *FleetSource {
	f := &FleetSource{q: q, matchers: slices.Clone(extraMatchers)}
	f.ex, _ = q.(ExemplarQuerier)
	return f
}

// RecentErrors returns the failing requests of the window from the
// exemplars of the 5xx buckets, newest first (none without exemplars).
func (f *FleetSource) RecentErrors(ctx context.Context, window time.Duration, now time.Time, limit int) ([]TraceRecord, error) {
	if f.ex == nil {
		return nil, nil
	}
	ex, err := f.ex.Exemplars(ctx, f.selector(promBucket, errorMatchers), now.Add(-window), now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]TraceRecord, 0, len(ex))
	for _, e := range ex {
		status, _ := strconv.Atoi(e.Series[instrumentation.PromAttrStatusCode])
		d := time.Duration(e.Value * float64(time.Second))
		out = append(out, TraceRecord{TraceID: e.TraceID, SpanID: e.SpanID, Kind: KindError,
			Route: e.Series[instrumentation.PromAttrRoute], Method: e.Series[instrumentation.PromAttrMethod], Status: status,
			DurationMs: e.Value * 1000, Start: e.Time.Add(-d).UTC(), End: e.Time.UTC()})
	}
	return out, nil
}

// PromQL names of the request-duration histogram.
var (
	promCount  = instrumentation.PromRequestDuration + "_count"
	promBucket = instrumentation.PromRequestDuration + "_bucket"
	promSum    = instrumentation.PromRequestDuration + "_sum"
)

// promLabel is the Prometheus label of an OTel attribute: the exporter's
// names for the HTTP attributes, dots as underscores otherwise.
func promLabel(attr string) string {
	switch attr {
	case instrumentation.AttrRoute:
		return instrumentation.PromAttrRoute
	case instrumentation.AttrMethod:
		return instrumentation.PromAttrMethod
	case instrumentation.AttrStatusCode:
		return instrumentation.PromAttrStatusCode
	}
	return strings.ReplaceAll(attr, ".", "_")
}

var promOps = map[series.MatchType]string{series.MatchEqual: "=", series.MatchNotEqual: "!=", series.MatchRegexp: "=~", series.MatchNotRegexp: "!~"}

// selector renders metric{matchers..., extra matchers...}.
func (f *FleetSource) selector(metric string, ms []series.Matcher) string {
	parts := make([]string, 0, len(ms)+len(f.matchers))
	for _, m := range ms {
		parts = append(parts, promLabel(m.Name)+promOps[m.Type]+strconv.Quote(m.Value))
	}
	return fleet.Selector(metric, append(parts, f.matchers...)...)
}

// promRange renders a window as whole seconds, which every PromQL version
// reads.
func promRange(w time.Duration) string {
	return strconv.FormatInt(int64(max(w.Round(time.Second), time.Second)/time.Second), 10) + "s"
}

// ExactIncrease is the PromQL of how much the counters sel selects grew
// over the window w ending at the query time, summed by the labels by.
//
// increase() is not exact: it extrapolates the first and last samples in
// the range to the range's edges, so N requests read as N × (w / sampled
// span), rarely a whole number. The count of a finished window is instead
// the difference of each counter between the last sample at the end and
// the last sample at the start of the window:
//
//   - last_over_time(sel[w]) − sel offset w, for series present at both
//     ends; last_over_time also keeps a replica that stopped inside the
//     window (its last value stands);
//   - last_over_time(sel[w]) alone, for series born inside the window (a
//     new replica, a first request on a route): they started from 0;
//   - increase(sel[w]), Prometheus' reset-aware estimate, only for series
//     that reset inside the window (a restarted replica), whose requests
//     between the last scrape and the crash are lost to every method.
//
// A series that reset is excluded from the first two terms; each series
// is counted by exactly one term.
func ExactIncrease(sel string, w time.Duration, by []string) string {
	r := promRange(w)
	last := "last_over_time(" + sel + "[" + r + "])"
	start := sel + " offset " + r
	reset := "(resets(" + sel + "[" + r + "]) > 0)"
	return fmt.Sprintf("sum%s (\n  (%s - %s unless %s)\nor\n  (%s unless %s unless %s)\nor\n  (increase(%s[%s]) and %s)\n)",
		byClause(by), last, start, reset, last, start, reset, sel, r, reset)
}

func byClause(by []string) string {
	if len(by) == 0 {
		return ""
	}
	return " by (" + strings.Join(by, ", ") + ")"
}

func promBy(by []string) []string {
	out := make([]string, len(by))
	for i, a := range by {
		out[i] = promLabel(a)
	}
	return out
}

// groupLabels maps a sample's by-labels back to OTel attribute names.
func groupLabels(m model.Metric, by []string) map[string]string {
	l := make(map[string]string, len(by))
	for _, a := range by {
		l[a] = string(m[model.LabelName(promLabel(a))])
	}
	return l
}

func finite(v model.SampleValue) float64 {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return f
}

// IncreaseBy sums the exact increase of the observation count.
func (f *FleetSource) IncreaseBy(ctx context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Group, error) {
	v, err := f.q.Query(ctx, ExactIncrease(f.selector(promCount, ms), window, promBy(by)), now)
	if err != nil {
		return nil, err
	}
	out := make([]series.Group, 0, len(v))
	for _, s := range v {
		out = append(out, series.Group{Labels: groupLabels(s.Metric, by), Value: finite(s.Value)})
	}
	return out, nil
}

// HistogramBy merges the exact increases of the buckets and of the sum
// into one histogram per group (Min and Max unknown: NaN). Quantiles are
// then series.Quantile, the interpolation of histogram_quantile, over the
// exact bucket counts of the window: the same figure as
// histogram_quantile(q, sum by (le) (<exact increase of the buckets>)).
func (f *FleetSource) HistogramBy(ctx context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Histogram, error) {
	pby := promBy(by)
	buckets, err := f.q.Query(ctx, ExactIncrease(f.selector(promBucket, ms), window, append(slices.Clone(pby), "le")), now)
	if err != nil {
		return nil, err
	}
	sums, err := f.q.Query(ctx, ExactIncrease(f.selector(promSum, ms), window, pby), now)
	if err != nil {
		return nil, err
	}
	type group struct {
		labels map[string]string
		cum    map[float64]float64
	}
	groups := map[string]*group{}
	var order []string
	key := func(l map[string]string) string {
		parts := make([]string, len(by))
		for i, a := range by {
			parts[i] = strconv.Quote(l[a])
		}
		return strings.Join(parts, ",")
	}
	for _, s := range buckets {
		le, err := strconv.ParseFloat(string(s.Metric["le"]), 64)
		if err != nil || math.IsNaN(le) {
			continue
		}
		l := groupLabels(s.Metric, by)
		k := key(l)
		g := groups[k]
		if g == nil {
			g = &group{labels: l, cum: map[float64]float64{}}
			groups[k] = g
			order = append(order, k)
		}
		g.cum[le] += finite(s.Value)
	}
	sumOf := map[string]float64{}
	for _, s := range sums {
		sumOf[key(groupLabels(s.Metric, by))] += finite(s.Value)
	}
	slices.Sort(order)
	out := make([]series.Histogram, 0, len(order))
	for _, k := range order {
		h := fromCumulative(groups[k].cum)
		h.Labels = groups[k].labels
		h.Sum = sumOf[k]
		out = append(out, h)
	}
	return out, nil
}

// fromCumulative turns Prometheus' cumulative le buckets into a
// series.Histogram (finite bounds, per-bucket counts, the +Inf bucket
// last).
func fromCumulative(cum map[float64]float64) series.Histogram {
	h := series.Histogram{Min: math.NaN(), Max: math.NaN()}
	les := make([]float64, 0, len(cum))
	for le := range cum {
		les = append(les, le)
	}
	slices.Sort(les)
	var prev uint64
	for _, le := range les {
		c := uint64(math.Round(cum[le]))
		c = max(c, prev) // cumulative counts never fall; a reset estimate may
		if !math.IsInf(le, 1) {
			h.Bounds = append(h.Bounds, le)
		}
		h.Counts = append(h.Counts, c-prev)
		prev = c
	}
	if len(les) == 0 || !math.IsInf(les[len(les)-1], 1) {
		h.Counts = append(h.Counts, 0) // no +Inf bucket seen
	}
	h.Count = prev
	return h
}
