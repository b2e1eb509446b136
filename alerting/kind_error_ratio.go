package alerting

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
)

// KindErrorRatio fires while the share of 5xx responses over the window is
// above the threshold, per route unless the rule names one.
const KindErrorRatio = "error_ratio"

type errorRatio struct{}

func (errorRatio) Name() string { return KindErrorRatio }

func (errorRatio) Validate(r *Rule, bad func(string, string, ...any)) {
	if r.Threshold <= 0 || r.Threshold > 1 {
		bad("threshold", "must be > 0 and <= 1")
	}
	needWindow(r, bad)
}

func (errorRatio) SplitBy(r *Rule) string       { return perRouteUnlessNamed(r) }
func (errorRatio) Window(r *Rule) time.Duration { return r.Window.D() }

// HoldsNoData: without requests the ratio is undefined, not 0.
func (errorRatio) HoldsNoData() bool         { return true }
func (errorRatio) Threshold(r *Rule) float64 { return r.Threshold }
func (errorRatio) Direction() Direction      { return Above }
func (errorRatio) Unit(*Rule) string         { return "1" }

func (errorRatio) Evaluate(r *Rule, q Querier, now, _ time.Time) ([]Sample, error) {
	metric, ms, win := instrumentation.MetricRequestDuration, r.matchers(), r.Window.D()
	if !r.PerRoute() {
		total := q.Increase(metric, ms, win, now)
		if total <= 0 {
			return nil, nil
		}
		return []Sample{{Labels: map[string]string{}, Value: q.Increase(metric, withErrors(ms), win, now) / total}}, nil
	}
	errs := map[string]float64{}
	for _, g := range q.IncreaseBy(metric, withErrors(ms), routeBy, win, now) {
		errs[g.Labels[instrumentation.AttrRoute]] += g.Value
	}
	var out []Sample
	for _, g := range q.IncreaseBy(metric, ms, routeBy, win, now) {
		if g.Value > 0 {
			out = append(out, routeSample(g.Labels, errs[g.Labels[instrumentation.AttrRoute]]/g.Value))
		}
	}
	return out, nil
}

func (errorRatio) Value(r *Rule, p PromQL) string {
	by, w := byRoute(r), p.rng(r.Window)
	return routeLabel(r, fmt.Sprintf("sum%s (rate(%s[%s])) / sum%s (rate(%s[%s]))",
		by, p.sel(r, promCount, promErrSel), w, by, p.sel(r, promCount), w))
}

// perRouteUnlessNamed is the split of the request kinds: per route unless
// the rule filters on one.
func perRouteUnlessNamed(r *Rule) string {
	if r.Route == "" {
		return LabelRoute
	}
	return ""
}

// needWindow reports a missing window.
func needWindow(r *Rule, bad func(string, string, ...any)) {
	if r.Window <= 0 {
		bad("window", "must be > 0")
	}
}
