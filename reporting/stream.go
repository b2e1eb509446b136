package reporting

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// snapshotWindow is the window of an api_metrics stream message.
const snapshotWindow = time.Minute

// snapshotTTL is how long a fleet snapshot is reused: every stream
// connection asks each interval, Prometheus is asked once.
const snapshotTTL = time.Second

// APISnapshot is the data of an api_metrics stream message: the last
// minute. In fleet mode it counts the fleet; when Prometheus fails it
// falls back to this replica's own figures, with Scope replica and
// FleetError saying why.
type APISnapshot struct {
	Scope         Scope    `json:"scope"`
	FleetError    string   `json:"fleet_error,omitempty"`
	WindowSeconds float64  `json:"window_seconds"`
	Requests      float64  `json:"requests"`
	Errors        float64  `json:"errors"`
	ErrorRate     float64  `json:"error_rate"`
	Throughput    float64  `json:"throughput_rps"`
	P95Seconds    *float64 `json:"p95_seconds"`
	// Routes breaks the minute down by route (the busiest first, at most
	// maxSnapshotRoutes), for the console's overview.
	Routes []RouteSnapshot `json:"routes"`
}

// RouteSnapshot is one route of an [APISnapshot].
type RouteSnapshot struct {
	Route      string   `json:"route"`
	Requests   float64  `json:"requests"`
	Errors     float64  `json:"errors"`
	ErrorRate  float64  `json:"error_rate"`
	Throughput float64  `json:"throughput_rps"`
	P95Seconds *float64 `json:"p95_seconds"`
}

// maxSnapshotRoutes bounds the routes of a snapshot.
const maxSnapshotRoutes = 50

// APISnapshot is the stream's api_metrics data, in the default scope.
func (s *Service) APISnapshot(ctx context.Context) APISnapshot {
	sc, _ := s.in("") // the default scope always exists
	if sc.scope != ScopeFleet {
		snap, _ := s.apiSnapshot(ctx, sc, s.now())
		return snap
	}
	now := s.now()
	s.snapMu.Lock()
	if !s.snapAt.IsZero() && now.Sub(s.snapAt) >= 0 && now.Sub(s.snapAt) < snapshotTTL {
		snap := s.snap
		s.snapMu.Unlock()
		return snap
	}
	s.snapMu.Unlock()
	snap, err := s.apiSnapshot(ctx, sc, now)
	if ctx.Err() != nil {
		return snap // the connection went away mid-query: nothing to keep
	}
	if err != nil {
		s.logger.Debug("stream snapshot: fleet scope failed, answering for this replica", "error", err)
		snap, _ = s.apiSnapshot(ctx, scoped{src: replicaSource{s.ser}, scope: ScopeReplica}, now)
		snap.FleetError = fleetErrorText(err)
	}
	s.snapMu.Lock()
	s.snap, s.snapAt = snap, now
	s.snapMu.Unlock()
	return snap
}

func (s *Service) apiSnapshot(ctx context.Context, sc scoped, now time.Time) (APISnapshot, error) {
	total, err := sc.increase(ctx, nil, snapshotWindow, now)
	if err != nil {
		return APISnapshot{}, err
	}
	errs, err := sc.increase(ctx, errorMatchers, snapshotWindow, now)
	if err != nil {
		return APISnapshot{}, err
	}
	routes, err := routeSnapshots(ctx, sc, now)
	if err != nil {
		return APISnapshot{}, err
	}
	out := APISnapshot{Scope: sc.scope, WindowSeconds: snapshotWindow.Seconds(), Requests: total, Errors: errs,
		Throughput: total / snapshotWindow.Seconds(), Routes: routes}
	if total > 0 {
		out.ErrorRate = errs / total
		h, err := sc.histogram(ctx, nil, snapshotWindow, now)
		if err != nil {
			return APISnapshot{}, err
		}
		if q := series.Quantile(0.95, h); !math.IsNaN(q) {
			out.P95Seconds = &q
		}
	}
	return out, nil
}

// routeSnapshots is the last window by route: requests, errors and p95,
// busiest first. Requests without a route (unmatched paths) are left out.
func routeSnapshots(ctx context.Context, sc scoped, now time.Time) ([]RouteSnapshot, error) {
	by := []string{instrumentation.AttrRoute}
	errGroups, err := sc.increaseBy(ctx, errorMatchers, by, snapshotWindow, now)
	if err != nil {
		return nil, err
	}
	errs := map[string]float64{}
	for _, g := range errGroups {
		errs[g.Labels[instrumentation.AttrRoute]] += g.Value
	}
	hs, err := sc.histogramBy(ctx, nil, by, snapshotWindow, now)
	if err != nil {
		return nil, err
	}
	out := []RouteSnapshot{}
	for _, h := range hs {
		route := h.Labels[instrumentation.AttrRoute]
		if route == "" || h.Count == 0 {
			continue
		}
		r := RouteSnapshot{Route: route, Requests: float64(h.Count), Errors: errs[route], Throughput: float64(h.Count) / snapshotWindow.Seconds()}
		r.ErrorRate = r.Errors / r.Requests
		if q := series.Quantile(0.95, h); !math.IsNaN(q) {
			r.P95Seconds = &q
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Requests > out[j].Requests })
	if len(out) > maxSnapshotRoutes {
		out = out[:maxSnapshotRoutes]
	}
	return out, nil
}
