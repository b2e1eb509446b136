package alerting

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
)

// KindRequestRate fires while the request rate over the window (requests
// per second) is above the threshold, per route unless the rule names one.
const KindRequestRate = "request_rate"

type requestRate struct{}

func (requestRate) Name() string { return KindRequestRate }

func (requestRate) Validate(r *Rule, bad func(string, string, ...any)) {
	if r.Threshold <= 0 {
		bad("threshold", "must be > 0")
	}
	needWindow(r, bad)
}

func (requestRate) SplitBy(r *Rule) string       { return perRouteUnlessNamed(r) }
func (requestRate) Window(r *Rule) time.Duration { return r.Window.D() }

// HoldsNoData is false: a window without requests is a rate of zero.
func (requestRate) HoldsNoData() bool         { return false }
func (requestRate) Threshold(r *Rule) float64 { return r.Threshold }
func (requestRate) Direction() Direction      { return Above }
func (requestRate) Unit(*Rule) string         { return "{request}/s" }

func (requestRate) Evaluate(r *Rule, q Querier, now, _ time.Time) ([]Sample, error) {
	return rates(r, q, r.Window.D(), now), nil
}

// rates is the request rate over window ending at now: one sample, or one
// per route with requests in the window.
func rates(r *Rule, q Querier, window time.Duration, now time.Time) []Sample {
	metric, ms, secs := instrumentation.MetricRequestDuration, r.matchers(), window.Seconds()
	if !r.PerRoute() {
		return []Sample{{Labels: map[string]string{}, Value: q.Increase(metric, ms, window, now) / secs}}
	}
	var out []Sample
	for _, g := range q.IncreaseBy(metric, ms, routeBy, window, now) {
		out = append(out, routeSample(g.Labels, g.Value/secs))
	}
	return out
}

func (requestRate) Value(r *Rule, p PromQL) string {
	return routeLabel(r, fmt.Sprintf("sum%s (rate(%s[%s]))", byRoute(r), p.sel(r, promCount), p.rng(r.Window)))
}
