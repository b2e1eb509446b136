package alerting

import (
	"fmt"
	"time"
)

// KindRequestRateDrop fires while traffic is below a fraction (threshold)
// of its own level one window earlier: the request rate over the window,
// divided by the rate over the window before it. A route whose earlier rate
// is not above min_rate (requests per second, default 0) has no baseline
// and no sample. Per route unless the rule names one.
//
// It is the "traffic fell off a cliff" alert: threshold 0.2 fires when a
// route serves less than a fifth of what it served the window before.
const KindRequestRateDrop = "request_rate_drop"

// maxDropWindow keeps the baseline (two windows back) inside the series'
// 24 h retention.
const maxDropWindow = 12 * time.Hour

type requestRateDrop struct{}

func (requestRateDrop) Name() string { return KindRequestRateDrop }

func (requestRateDrop) Validate(r *Rule, bad func(string, string, ...any)) {
	if r.Threshold <= 0 || r.Threshold >= 1 {
		bad("threshold", "must be > 0 and < 1 (a fraction of the earlier rate)")
	}
	if r.MinRate < 0 {
		bad("min_rate", "must be >= 0")
	}
	needWindow(r, bad)
	if r.Window.D() > maxDropWindow {
		bad("window", "must be at most %s (the baseline is the window before it)", Duration(maxDropWindow))
	}
}

func (requestRateDrop) SplitBy(r *Rule) string       { return perRouteUnlessNamed(r) }
func (requestRateDrop) Window(r *Rule) time.Duration { return r.Window.D() }

// HoldsNoData: a missing baseline is no evidence that traffic came back.
func (requestRateDrop) HoldsNoData() bool         { return true }
func (requestRateDrop) Threshold(r *Rule) float64 { return r.Threshold }
func (requestRateDrop) Direction() Direction      { return Below }
func (requestRateDrop) Unit(*Rule) string         { return "1" }

func (requestRateDrop) Evaluate(r *Rule, q Querier, now, _ time.Time) ([]Sample, error) {
	w := r.Window.D()
	cur := map[string]float64{}
	for _, s := range rates(r, q, w, now) {
		cur[s.Labels[LabelRoute]] = s.Value
	}
	var out []Sample
	for _, base := range rates(r, q, w, now.Add(-w)) {
		if base.Value > r.MinRate {
			out = append(out, Sample{Labels: base.Labels, Value: cur[base.Labels[LabelRoute]] / base.Value})
		}
	}
	return out, nil
}

func (requestRateDrop) Value(r *Rule, p PromQL) string {
	by, w, sel := byRoute(r), p.rng(r.Window), p.sel(r, promCount)
	return routeLabel(r, fmt.Sprintf("sum%s (rate(%s[%s])) / (sum%s (rate(%s[%s] offset %s)) > %s)",
		by, sel, w, by, sel, w, r.Window, fnum(r.MinRate)))
}
