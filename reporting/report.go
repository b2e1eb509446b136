package reporting

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
)

// Report limits.
const (
	maxReportErrors = 20
	reportTop       = 20
)

// EndpointRow is one route and method of a report.
type EndpointRow struct {
	Route  string `json:"route"`
	Method string `json:"method"`
	Latency
}

// Report is the body of GET /api/reports (format=json) and the content of
// its CSV and Markdown renderings.
type Report struct {
	GeneratedAt   time.Time     `json:"generated_at"`
	WindowMinutes int           `json:"window_minutes"`
	Since         time.Time     `json:"since"`
	Until         time.Time     `json:"until"`
	Summary       Latency       `json:"summary"`
	Endpoints     []EndpointRow `json:"endpoints"`
	TopErrors     []TraceRecord `json:"top_errors"`
	Usage         UsageReport   `json:"usage"`
	Alerts        []AlertRow    `json:"alerts"`
	SLOs          []SLOStatus   `json:"slos"`
}

// Report builds the report of the last window.
func (s *Service) Report(ctx context.Context, window time.Duration) (Report, error) {
	now := s.now()
	minutes := int(window / time.Minute)
	r := Report{GeneratedAt: now.UTC(), WindowMinutes: minutes, Since: now.Add(-window).UTC(), Until: now.UTC()}
	r.Summary = s.Performance(window).Overall
	r.Endpoints = s.endpoints(window, now)
	r.TopErrors = s.Traces(KindError, "", window, maxReportErrors).Traces
	u, err := s.usage.Query(ctx, UsageQuery{Minutes: minutes, Top: reportTop})
	if err != nil {
		return Report{}, err
	}
	r.Usage = u
	if r.Alerts, err = s.firingAlerts(ctx); err != nil {
		return Report{}, err
	}
	slos, err := s.EvaluateSLOs(ctx)
	if err != nil {
		return Report{}, err
	}
	r.SLOs = slos.SLOs
	return r, nil
}

func (s *Service) endpoints(window time.Duration, now time.Time) []EndpointRow {
	by := []string{instrumentation.AttrRoute, instrumentation.AttrMethod}
	errs := map[[2]string]int64{}
	for _, g := range s.ser.IncreaseBy(instrumentation.MetricRequestDuration, errorMatchers, by, window, now) {
		errs[[2]string{g.Labels[instrumentation.AttrRoute], g.Labels[instrumentation.AttrMethod]}] = count(g.Value)
	}
	out := []EndpointRow{}
	for _, h := range s.ser.HistogramBy(instrumentation.MetricRequestDuration, nil, by, window, now) {
		if h.Count == 0 {
			continue
		}
		k := [2]string{h.Labels[instrumentation.AttrRoute], h.Labels[instrumentation.AttrMethod]}
		out = append(out, EndpointRow{Route: k[0], Method: k[1], Latency: latencyOf(h, errs[k], window)})
	}
	slices.SortFunc(out, func(a, b EndpointRow) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Method, b.Method))
	})
	return out
}
