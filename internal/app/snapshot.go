package app

import (
	"context"
	"math"
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
}

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
		s := APISnapshot{WindowSeconds: window.Seconds(), Requests: total, Errors: errs, Throughput: total / window.Seconds()}
		if total > 0 {
			s.ErrorRate = errs / total
			if q := series.Quantile(0.95, ser.Histogram(instrumentation.MetricRequestDuration, nil, window, now)); !math.IsNaN(q) {
				s.P95Seconds = &q
			}
		}
		return s
	}
}
