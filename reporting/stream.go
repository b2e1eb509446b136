package reporting

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
)

// StreamWindow is the window of an [APISnapshot].
const StreamWindow = time.Minute

// MaxStreamRoutes bounds the routes of an [APISnapshot].
const MaxStreamRoutes = 50

// snapshotTTL is how long a fleet snapshot is reused: every stream
// connection asks each interval, Prometheus is asked once.
const snapshotTTL = time.Second

// SystemSnapshot is the data of a system_metrics stream message: the
// latest process and disk gauges, null before the first reading.
type SystemSnapshot struct {
	// Scope is always replica: the answering process and host.
	Scope                 Scope    `json:"scope"`
	ProcessCPUUtilization *float64 `json:"process_cpu_utilization"`
	ProcessMemoryBytes    *float64 `json:"process_memory_bytes"`
	DiskUtilization       *float64 `json:"disk_utilization"`
}

// APISnapshot is the data of an api_metrics stream message: the last
// [StreamWindow] of the performance summary, latency in seconds. In fleet
// mode it counts the fleet; when Prometheus fails it falls back to this
// replica's own figures, with Scope replica and FleetError saying why.
type APISnapshot struct {
	Scope         Scope    `json:"scope"`
	FleetError    string   `json:"fleet_error,omitempty"`
	WindowSeconds float64  `json:"window_seconds"`
	Requests      float64  `json:"requests"`
	Errors        float64  `json:"errors"`
	ErrorRate     float64  `json:"error_rate"`
	Throughput    float64  `json:"throughput_rps"`
	P95Seconds    *float64 `json:"p95_seconds"`
	// Routes breaks the window down by route (the busiest first, at most
	// MaxStreamRoutes; requests without a route left out), for the
	// console's overview.
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

// SystemSnapshot is the latest process CPU, memory and disk readings of
// this replica.
func (s *Service) SystemSnapshot() SystemSnapshot {
	now := s.now()
	last := func(name string) *float64 {
		v, _, ok := s.ser.Last(name, nil, now)
		if !ok {
			return nil
		}
		return &v
	}
	return SystemSnapshot{
		Scope:                 ScopeReplica,
		ProcessCPUUtilization: last(instrumentation.MetricProcessCPUUtilization),
		ProcessMemoryBytes:    last(instrumentation.MetricProcessMemoryUsage),
		DiskUtilization:       last(instrumentation.MetricSystemFilesystemUtilization),
	}
}

// APISnapshot is [Service.Performance] over the last [StreamWindow] in the
// default scope, in the stream's shape (its routes in the summary's order:
// the busiest first).
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
	perf, overall, p95, err := s.performance(ctx, sc, StreamWindow, now)
	if err != nil {
		return APISnapshot{}, err
	}
	snap := func(l Latency, p95 *float64) RouteSnapshot {
		return RouteSnapshot{Requests: float64(l.Requests), Errors: float64(l.Errors), ErrorRate: l.ErrorRate,
			Throughput: l.ThroughputRPS, P95Seconds: p95}
	}
	o := snap(perf.Overall, overall)
	out := APISnapshot{Scope: sc.scope, WindowSeconds: StreamWindow.Seconds(), Requests: o.Requests, Errors: o.Errors,
		ErrorRate: o.ErrorRate, Throughput: o.Throughput, P95Seconds: o.P95Seconds, Routes: []RouteSnapshot{}}
	for _, r := range perf.Routes {
		if r.Route == "" {
			continue // unmatched paths
		}
		rs := snap(r.Latency, p95[r.Route])
		rs.Route = r.Route
		out.Routes = append(out.Routes, rs)
	}
	if len(out.Routes) > MaxStreamRoutes {
		out.Routes = out.Routes[:MaxStreamRoutes]
	}
	return out, nil
}
