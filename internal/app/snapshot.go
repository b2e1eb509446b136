package app

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// SystemSnapshot is the data of a system_metrics stream message.
type SystemSnapshot struct {
	ProcessCPUUtilization *float64 `json:"process_cpu_utilization"`
	ProcessMemoryBytes    *float64 `json:"process_memory_bytes"`
	DiskUtilization       *float64 `json:"disk_utilization"`
}

// APISnapshot is the data of an api_metrics stream message: the last minute.
type APISnapshot struct {
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

var errorMatcher = []series.Matcher{{Name: instrumentation.AttrStatusCode, Type: series.MatchRegexp, Value: "5.."}}

func systemSnapshot(ser *series.Store) func(context.Context) any {
	last := func(name string) *float64 {
		v, _, ok := ser.Last(name, nil, time.Now())
		if !ok {
			return nil
		}
		return &v
	}
	return func(context.Context) any {
		return SystemSnapshot{
			ProcessCPUUtilization: last(instrumentation.MetricProcessCPUUtilization),
			ProcessMemoryBytes:    last(instrumentation.MetricProcessMemoryUsage),
			DiskUtilization:       last(instrumentation.MetricSystemFilesystemUtilization),
		}
	}
}

func apiSnapshot(ser *series.Store) func(context.Context) any {
	const window = time.Minute
	return func(context.Context) any {
		now := time.Now()
		total := ser.Increase(instrumentation.MetricRequestDuration, nil, window, now)
		errs := ser.Increase(instrumentation.MetricRequestDuration, errorMatcher, window, now)
		s := APISnapshot{WindowSeconds: window.Seconds(), Requests: total, Errors: errs, Throughput: total / window.Seconds(),
			Routes: routeSnapshots(ser, window, now)}
		if total > 0 {
			s.ErrorRate = errs / total
			if q := series.Quantile(0.95, ser.Histogram(instrumentation.MetricRequestDuration, nil, window, now)); !math.IsNaN(q) {
				s.P95Seconds = &q
			}
		}
		return s
	}
}

// routeSnapshots is the last window by route: requests, errors and p95,
// busiest first. Requests without a route (unmatched paths) are left out.
func routeSnapshots(ser *series.Store, window time.Duration, now time.Time) []RouteSnapshot {
	by := []string{instrumentation.AttrRoute}
	errs := map[string]float64{}
	for _, g := range ser.IncreaseBy(instrumentation.MetricRequestDuration, errorMatcher, by, window, now) {
		errs[g.Labels[instrumentation.AttrRoute]] += g.Value
	}
	out := []RouteSnapshot{}
	for _, h := range ser.HistogramBy(instrumentation.MetricRequestDuration, nil, by, window, now) {
		route := h.Labels[instrumentation.AttrRoute]
		if route == "" || h.Count == 0 {
			continue
		}
		r := RouteSnapshot{Route: route, Requests: float64(h.Count), Errors: errs[route], Throughput: float64(h.Count) / window.Seconds()}
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
	return out
}
