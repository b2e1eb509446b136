package alerting

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// KindLatencyQuantile fires while a quantile of the request duration over
// the window is above the threshold (seconds), per route unless the rule
// names one.
const KindLatencyQuantile = "latency_quantile"

type latencyQuantile struct{}

func (latencyQuantile) Name() string { return KindLatencyQuantile }

func (latencyQuantile) Validate(r *Rule, bad func(string, string, ...any)) {
	if r.Quantile <= 0 || r.Quantile >= 1 {
		bad("quantile", "must be > 0 and < 1")
	}
	if r.Threshold <= 0 {
		bad("threshold", "must be > 0")
	}
	needWindow(r, bad)
}

func (latencyQuantile) SplitBy(r *Rule) string       { return perRouteUnlessNamed(r) }
func (latencyQuantile) Window(r *Rule) time.Duration { return r.Window.D() }

// HoldsNoData: without requests there is no quantile.
func (latencyQuantile) HoldsNoData() bool         { return true }
func (latencyQuantile) Threshold(r *Rule) float64 { return r.Threshold }
func (latencyQuantile) Direction() Direction      { return Above }
func (latencyQuantile) Unit(*Rule) string         { return "s" }

func (latencyQuantile) Evaluate(r *Rule, q Querier, now, _ time.Time) ([]Sample, error) {
	metric, ms, win := instrumentation.MetricRequestDuration, r.matchers(), r.Window.D()
	if !r.PerRoute() {
		h := q.Histogram(metric, ms, win, now)
		if h.Count == 0 {
			return nil, nil
		}
		return []Sample{{Labels: map[string]string{}, Value: series.Quantile(r.Quantile, h)}}, nil
	}
	var out []Sample
	for _, h := range q.HistogramBy(metric, ms, routeBy, win, now) {
		if h.Count > 0 {
			out = append(out, routeSample(h.Labels, series.Quantile(r.Quantile, h)))
		}
	}
	return out, nil
}

func (latencyQuantile) Value(r *Rule, p PromQL) string {
	le := " by (le)"
	if r.PerRoute() {
		le = " by (le, " + instrumentation.PromAttrRoute + ")"
	}
	return routeLabel(r, fmt.Sprintf("histogram_quantile(%s, sum%s (rate(%s[%s])))",
		fnum(r.Quantile), le, p.sel(r, promBucket), p.rng(r.Window)))
}
