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
	// Scope is whose requests Summary, Endpoints and the SLOs' series
	// figures count. TopErrors are this replica's recent failing spans and,
	// in the fleet scope, every replica's failing requests that carry an
	// exemplar (sampled traces); Usage and Alerts come from the store
	// (shared by every replica on PostgreSQL).
	Scope         Scope         `json:"scope"`
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

// Report builds the report of the last window in scope.
func (s *Service) Report(ctx context.Context, scope Scope, window time.Duration) (Report, error) {
	sc, err := s.in(scope)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	minutes := int(window / time.Minute)
	r := Report{Scope: sc.scope, GeneratedAt: now.UTC(), WindowMinutes: minutes, Since: now.Add(-window).UTC(), Until: now.UTC()}
	if r.Summary, _, err = s.overall(ctx, sc, window, now); err != nil {
		return Report{}, err
	}
	if r.Endpoints, err = s.endpoints(ctx, sc, window, now); err != nil {
		return Report{}, err
	}
	if r.TopErrors, err = s.topErrors(ctx, sc, window, now); err != nil {
		return Report{}, err
	}
	u, err := s.usage.Query(ctx, UsageQuery{Minutes: minutes, Top: reportTop})
	if err != nil {
		return Report{}, err
	}
	r.Usage = u
	if r.Alerts, err = s.firingAlerts(ctx); err != nil {
		return Report{}, err
	}
	slos, err := s.evaluateSLOs(ctx, sc, now)
	if err != nil {
		return Report{}, err
	}
	r.SLOs = slos.SLOs
	return r, nil
}

// errorTracer gives the fleet's recent failing requests (FleetSource).
type errorTracer interface {
	RecentErrors(ctx context.Context, window time.Duration, now time.Time, limit int) ([]TraceRecord, error)
}

// topErrors are this replica's recent failing spans and, in the fleet
// scope, the failing requests of every replica from their exemplars; one
// per trace (this replica's record first: it has the error message),
// newest first.
func (s *Service) topErrors(ctx context.Context, sc scoped, window time.Duration, now time.Time) ([]TraceRecord, error) {
	local := s.Traces(KindError, "", window, maxReportErrors).Traces
	et, ok := sc.src.(errorTracer)
	if sc.scope != ScopeFleet || !ok {
		return local, nil
	}
	fleet, err := et.RecentErrors(ctx, window, now, maxReportErrors)
	if err != nil {
		return nil, sc.wrap(err)
	}
	seen := map[string]bool{}
	for _, r := range local {
		seen[r.TraceID] = true
	}
	out := local
	for _, r := range fleet {
		if !seen[r.TraceID] {
			seen[r.TraceID] = true
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b TraceRecord) int { return b.End.Compare(a.End) })
	if len(out) > maxReportErrors {
		out = out[:maxReportErrors]
	}
	return out, nil
}

func (s *Service) endpoints(ctx context.Context, sc scoped, window time.Duration, now time.Time) ([]EndpointRow, error) {
	by := []string{instrumentation.AttrRoute, instrumentation.AttrMethod}
	errGroups, err := sc.increaseBy(ctx, errorMatchers, by, window, now)
	if err != nil {
		return nil, err
	}
	hs, err := sc.histogramBy(ctx, nil, by, window, now)
	if err != nil {
		return nil, err
	}
	errs := map[[2]string]int64{}
	for _, g := range errGroups {
		errs[[2]string{g.Labels[instrumentation.AttrRoute], g.Labels[instrumentation.AttrMethod]}] = count(g.Value)
	}
	out := []EndpointRow{}
	for _, h := range hs {
		if h.Count == 0 {
			continue
		}
		k := [2]string{h.Labels[instrumentation.AttrRoute], h.Labels[instrumentation.AttrMethod]}
		l, _ := latencyOf(h, errs[k], window)
		out = append(out, EndpointRow{Route: k[0], Method: k[1], Latency: l})
	}
	slices.SortFunc(out, func(a, b EndpointRow) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Method, b.Method))
	})
	return out, nil
}
