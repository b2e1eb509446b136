package reporting

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/series"
)

var errorMatchers = []series.Matcher{{Name: instrumentation.AttrStatusCode, Type: series.MatchRegexp, Value: httpapi.ServerErrorPattern}}

// RouteRequests is one row of a RequestSummary.
type RouteRequests struct {
	Route         string  `json:"route"`
	Method        string  `json:"method"`
	Requests      int64   `json:"requests"`
	Errors        int64   `json:"errors"`
	ErrorRate     float64 `json:"error_rate"`
	ThroughputRPS float64 `json:"throughput_rps"`
}

// RequestSummary is the body of GET /api/metrics/requests, computed from
// the observation counts of http.server.request.duration; errors are
// responses with status 5xx. Route "" holds unmatched paths.
type RequestSummary struct {
	Scope         Scope           `json:"scope"`
	WindowMinutes int             `json:"window_minutes"`
	Until         time.Time       `json:"until"`
	Requests      int64           `json:"requests"`
	Errors        int64           `json:"errors"`
	ErrorRate     float64         `json:"error_rate"`
	ThroughputRPS float64         `json:"throughput_rps"`
	Routes        []RouteRequests `json:"routes"`
}

// Latency summarises a duration histogram; quantiles, mean and max are in
// milliseconds and null without requests (or, for max, when unknown). Max
// is the largest request, or where the cumulative data cannot tell it
// exactly, the least bound it proves (never below the largest request, at
// most one bucket above it); no quantile exceeds it.
type Latency struct {
	Requests      int64    `json:"requests"`
	Errors        int64    `json:"errors"`
	ErrorRate     float64  `json:"error_rate"`
	ThroughputRPS float64  `json:"throughput_rps"`
	P50Ms         *float64 `json:"p50_ms"`
	P95Ms         *float64 `json:"p95_ms"`
	P99Ms         *float64 `json:"p99_ms"`
	MeanMs        *float64 `json:"mean_ms"`
	MaxMs         *float64 `json:"max_ms"`
}

// RouteLatency is the Latency of one route (all methods).
type RouteLatency struct {
	Route string `json:"route"`
	Latency
}

// PerformanceSummary is the body of GET /api/metrics/performance.
// Quantiles are series.Quantile (histogram_quantile, clamped to the
// observed extremes) of the merged http.server.request.duration histogram
// over the window.
type PerformanceSummary struct {
	Scope         Scope          `json:"scope"`
	WindowMinutes int            `json:"window_minutes"`
	Until         time.Time      `json:"until"`
	Overall       Latency        `json:"overall"`
	Routes        []RouteLatency `json:"routes"`
}

func count(v float64) int64 { return int64(math.Round(v)) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r := v * 1000
	return &r
}

// Requests summarises the last window in scope ("" for the default).
func (s *Service) Requests(ctx context.Context, scope Scope, window time.Duration) (RequestSummary, error) {
	sc, err := s.in(scope)
	if err != nil {
		return RequestSummary{}, err
	}
	now := s.now()
	by := []string{instrumentation.AttrRoute, instrumentation.AttrMethod}
	out := RequestSummary{Scope: sc.scope, WindowMinutes: int(window / time.Minute), Until: now, Routes: []RouteRequests{}}
	total, err := sc.increase(ctx, nil, window, now)
	if err != nil {
		return RequestSummary{}, err
	}
	errTotal, err := sc.increase(ctx, errorMatchers, window, now)
	if err != nil {
		return RequestSummary{}, err
	}
	out.Requests, out.Errors = count(total), count(errTotal)
	out.ErrorRate = ratio(out.Errors, out.Requests)
	out.ThroughputRPS = float64(out.Requests) / window.Seconds()
	errGroups, err := sc.increaseBy(ctx, errorMatchers, by, window, now)
	if err != nil {
		return RequestSummary{}, err
	}
	groups, err := sc.increaseBy(ctx, nil, by, window, now)
	if err != nil {
		return RequestSummary{}, err
	}
	errs := map[[2]string]int64{}
	for _, g := range errGroups {
		errs[[2]string{g.Labels[instrumentation.AttrRoute], g.Labels[instrumentation.AttrMethod]}] = count(g.Value)
	}
	for _, g := range groups {
		r := RouteRequests{Route: g.Labels[instrumentation.AttrRoute], Method: g.Labels[instrumentation.AttrMethod], Requests: count(g.Value)}
		if r.Requests == 0 {
			continue
		}
		r.Errors = errs[[2]string{r.Route, r.Method}]
		r.ErrorRate = ratio(r.Errors, r.Requests)
		r.ThroughputRPS = float64(r.Requests) / window.Seconds()
		out.Routes = append(out.Routes, r)
	}
	slices.SortFunc(out.Routes, func(a, b RouteRequests) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Method, b.Method))
	})
	return out, nil
}

// latencyOf summarises h; p95 is its 0.95 quantile in seconds (nil
// without requests), as the live stream reports it.
func latencyOf(h series.Histogram, errs int64, window time.Duration) (l Latency, p95 *float64) {
	l = Latency{Requests: int64(h.Count), Errors: errs, ErrorRate: ratio(errs, int64(h.Count)), ThroughputRPS: float64(h.Count) / window.Seconds()}
	if h.Count == 0 {
		return l, nil
	}
	q95 := series.Quantile(0.95, h)
	l.P50Ms = ms(series.Quantile(0.50, h))
	l.P95Ms = ms(q95)
	l.P99Ms = ms(series.Quantile(0.99, h))
	l.MeanMs = ms(h.Sum / float64(h.Count))
	l.MaxMs = ms(h.Max)
	if l.P95Ms != nil {
		p95 = &q95
	}
	return l, p95
}

// overall is the latency of every request of the window, and its p95 in
// seconds.
func (s *Service) overall(ctx context.Context, sc scoped, window time.Duration, now time.Time) (Latency, *float64, error) {
	errTotal, err := sc.increase(ctx, errorMatchers, window, now)
	if err != nil {
		return Latency{}, nil, err
	}
	h, err := sc.histogram(ctx, nil, window, now)
	if err != nil {
		return Latency{}, nil, err
	}
	l, p95 := latencyOf(h, count(errTotal), window)
	return l, p95, nil
}

// Performance summarises latency over the last window in scope.
func (s *Service) Performance(ctx context.Context, scope Scope, window time.Duration) (PerformanceSummary, error) {
	sc, err := s.in(scope)
	if err != nil {
		return PerformanceSummary{}, err
	}
	out, _, _, err := s.performance(ctx, sc, window, s.now())
	return out, err
}

// performance is Performance and the p95 in seconds of the whole window
// and of each route (keyed by route).
func (s *Service) performance(ctx context.Context, sc scoped, window time.Duration, now time.Time) (PerformanceSummary, *float64, map[string]*float64, error) {
	p95 := map[string]*float64{}
	by := []string{instrumentation.AttrRoute}
	out := PerformanceSummary{Scope: sc.scope, WindowMinutes: int(window / time.Minute), Until: now, Routes: []RouteLatency{}}
	var overall *float64
	var err error
	if out.Overall, overall, err = s.overall(ctx, sc, window, now); err != nil {
		return PerformanceSummary{}, nil, nil, err
	}
	errGroups, err := sc.increaseBy(ctx, errorMatchers, by, window, now)
	if err != nil {
		return PerformanceSummary{}, nil, nil, err
	}
	hs, err := sc.histogramBy(ctx, nil, by, window, now)
	if err != nil {
		return PerformanceSummary{}, nil, nil, err
	}
	errs := map[string]int64{}
	for _, g := range errGroups {
		errs[g.Labels[instrumentation.AttrRoute]] = count(g.Value)
	}
	for _, h := range hs {
		if h.Count == 0 {
			continue
		}
		r := h.Labels[instrumentation.AttrRoute]
		l, q := latencyOf(h, errs[r], window)
		out.Routes = append(out.Routes, RouteLatency{Route: r, Latency: l})
		p95[r] = q
	}
	slices.SortFunc(out.Routes, func(a, b RouteLatency) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route))
	})
	return out, overall, p95, nil
}
