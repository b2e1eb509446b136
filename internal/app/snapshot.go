package app

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// SystemSnapshot is the data of a system_metrics stream message.
type SystemSnapshot struct {
	// Scope is always replica: the answering process and host.
	Scope                 string   `json:"scope"`
	ProcessCPUUtilization *float64 `json:"process_cpu_utilization"`
	ProcessMemoryBytes    *float64 `json:"process_memory_bytes"`
	DiskUtilization       *float64 `json:"disk_utilization"`
}

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
			Scope:                 "replica",
			ProcessCPUUtilization: last(instrumentation.MetricProcessCPUUtilization),
			ProcessMemoryBytes:    last(instrumentation.MetricProcessMemoryUsage),
			DiskUtilization:       last(instrumentation.MetricSystemFilesystemUtilization),
		}
	}
}
