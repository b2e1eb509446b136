package alerting

import (
	"fmt"
	"math"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// Querier is the part of the windowed series store the engine reads. It
// must be safe for concurrent use: a cycle with many rules queries from two
// goroutines.
type Querier interface {
	Increase(metric string, ms []series.Matcher, window time.Duration, now time.Time) float64
	IncreaseBy(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) []series.Group
	Histogram(metric string, ms []series.Matcher, window time.Duration, now time.Time) series.Histogram
	HistogramBy(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) []series.Histogram
	Last(metric string, ms []series.Matcher, now time.Time) (float64, time.Time, bool)
	LastSeen(metric string, ms []series.Matcher) time.Time
}

// TraceFinder returns the trace ID of a recent failing or slow request on a
// route.
type TraceFinder interface {
	LatestTraceID(route string) (string, bool)
}

// Alert label names set by rules.
const (
	LabelAlertName = "alertname"
	LabelSeverity  = "severity"
	LabelRoute     = "route"
	LabelMethod    = "method"
)

// sample is one evaluated series of a rule: its extra labels and value.
type sample struct {
	labels map[string]string // route/method labels; alertname etc. added later
	value  float64
}

func (r *Rule) matchers() []series.Matcher {
	var ms []series.Matcher
	if r.Route != "" {
		ms = append(ms, series.Matcher{Name: instrumentation.AttrRoute, Type: series.MatchEqual, Value: r.Route})
	}
	if r.Method != "" {
		ms = append(ms, series.Matcher{Name: instrumentation.AttrMethod, Type: series.MatchEqual, Value: r.Method})
	}
	return ms
}

func (r *Rule) baseLabels() map[string]string {
	l := map[string]string{}
	if r.Route != "" {
		l[LabelRoute] = r.Route
	}
	if r.Method != "" {
		l[LabelMethod] = r.Method
	}
	return l
}

var errorMatcher = series.Matcher{Name: instrumentation.AttrStatusCode, Type: series.MatchRegexp, Value: "5.."}

// perRoute reports whether the rule is evaluated once per route.
func (r *Rule) perRoute() bool {
	switch r.Kind {
	case KindErrorRatio, KindLatencyQuantile, KindRequestRate:
		return r.Route == ""
	}
	return false
}

// noDataHolds reports whether a missing sample means "no data" for the
// rule's kind rather than "condition false": a ratio, quantile, burn rate or
// gauge needs observations; an absent rule's missing sample means traffic
// is back, and a request rate with no requests is a rate of zero.
func (r *Rule) noDataHolds() bool {
	switch r.Kind {
	case KindErrorRatio, KindLatencyQuantile, KindSLOBurnRate, KindSaturation:
		return true
	}
	return false
}

// dataWindow is the window whose emptiness means the rule has no data.
func (r *Rule) dataWindow() time.Duration {
	if r.Kind == KindSLOBurnRate {
		return r.ShortWindow.D()
	}
	return r.Window.D()
}

// noDataHold is how long an active alert keeps its state without data,
// counted from the last evaluation that saw its condition hold: the rule's
// window, and at least two evaluation intervals (the takeover bound of a
// replica whose own series are still empty). Past it, nobody has observed
// the problem for a whole window and the alert resolves.
func (e *Engine) noDataHold(r *Rule) time.Duration {
	return max(r.dataWindow(), 2*e.cfg.EvaluationInterval.D())
}

// evaluate computes the rule's samples at now. since is when the engine
// started (absent rules do not fire for traffic that never had a chance).
func (r *Rule) evaluate(q Querier, now, since time.Time) (out []sample, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: rule %s: %v", ErrEvaluation, r.Name, p)
		}
	}()
	metric := instrumentation.MetricRequestDuration
	ms := r.matchers()
	win := r.Window.D()
	by := []string{instrumentation.AttrRoute}
	withRoute := func(g map[string]string) map[string]string {
		l := r.baseLabels()
		if v, ok := g[instrumentation.AttrRoute]; ok {
			l[LabelRoute] = v
		}
		return l
	}
	switch r.Kind {
	case KindErrorRatio:
		errMs := append(append([]series.Matcher(nil), ms...), errorMatcher)
		if !r.perRoute() {
			total := q.Increase(metric, ms, win, now)
			if total > 0 {
				out = append(out, sample{r.baseLabels(), q.Increase(metric, errMs, win, now) / total})
			}
			return out, nil
		}
		errs := map[string]float64{}
		for _, g := range q.IncreaseBy(metric, errMs, by, win, now) {
			errs[g.Labels[instrumentation.AttrRoute]] += g.Value
		}
		for _, g := range q.IncreaseBy(metric, ms, by, win, now) {
			if g.Value > 0 {
				out = append(out, sample{withRoute(g.Labels), errs[g.Labels[instrumentation.AttrRoute]] / g.Value})
			}
		}
	case KindLatencyQuantile:
		if !r.perRoute() {
			h := q.Histogram(metric, ms, win, now)
			if h.Count > 0 {
				out = append(out, sample{r.baseLabels(), series.Quantile(r.Quantile, h)})
			}
			return out, nil
		}
		for _, h := range q.HistogramBy(metric, ms, by, win, now) {
			if h.Count > 0 {
				out = append(out, sample{withRoute(h.Labels), series.Quantile(r.Quantile, h)})
			}
		}
	case KindRequestRate:
		secs := win.Seconds()
		if !r.perRoute() {
			out = append(out, sample{r.baseLabels(), q.Increase(metric, ms, win, now) / secs})
			return out, nil
		}
		for _, g := range q.IncreaseBy(metric, ms, by, win, now) {
			out = append(out, sample{withRoute(g.Labels), g.Value / secs})
		}
	case KindSaturation:
		if v, _, ok := q.Last(r.Metric, ms, now); ok {
			out = append(out, sample{r.baseLabels(), v})
		}
	case KindAbsent:
		last := q.LastSeen(metric, ms)
		if last.Before(since) {
			last = since
		}
		if age := now.Sub(last); age >= win {
			out = append(out, sample{r.baseLabels(), age.Seconds()})
		}
	case KindSLOBurnRate:
		budget := 1 - r.Objective
		burn := func(w time.Duration) (float64, bool) {
			total := q.Increase(metric, ms, w, now)
			if total <= 0 {
				return 0, false
			}
			errMs := append(append([]series.Matcher(nil), ms...), errorMatcher)
			return q.Increase(metric, errMs, w, now) / total / budget, true
		}
		long, ok1 := burn(r.LongWindow.D())
		short, ok2 := burn(r.ShortWindow.D())
		if ok1 && ok2 {
			out = append(out, sample{r.baseLabels(), math.Min(long, short)})
		}
	default:
		return nil, fmt.Errorf("%w: rule %s: unknown kind %q", ErrEvaluation, r.Name, r.Kind)
	}
	return out, nil
}
