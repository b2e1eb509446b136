package telemetry

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/process"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation/names"
)

// systemMetrics observes process RSS and CPU utilization and the usage of
// one filesystem. It keeps the previous CPU sample to compute utilization
// over the interval between two collections.
type systemMetrics struct {
	proc *process.Process
	path string
	now  func() time.Time
	cpus float64

	mu       sync.Mutex
	lastCPU  float64
	lastWall time.Time

	used, free, mount metric.MeasurementOption
}

func startSystemMetrics(meter metric.Meter, path string) error {
	pid := os.Getpid()
	if pid > math.MaxInt32 {
		return fmt.Errorf("process id %d out of range", pid)
	}
	proc, err := process.NewProcess(int32(pid))
	if err != nil {
		return fmt.Errorf("find own process: %w", err)
	}
	s := &systemMetrics{
		proc: proc,
		path: path,
		now:  time.Now,
		cpus: float64(runtime.NumCPU()),
	}
	mp := attribute.String("system.filesystem.mountpoint", path)
	s.used = metric.WithAttributeSet(attribute.NewSet(mp, attribute.String("system.filesystem.state", "used")))
	s.free = metric.WithAttributeSet(attribute.NewSet(mp, attribute.String("system.filesystem.state", "free")))
	s.mount = metric.WithAttributeSet(attribute.NewSet(mp))
	if created, err := proc.CreateTime(); err == nil {
		s.lastWall = time.UnixMilli(created)
	} else {
		s.lastWall = s.now()
	}

	rss, err := meter.Int64ObservableUpDownCounter(names.MetricProcessMemoryUsage,
		metric.WithUnit("By"), metric.WithDescription("The amount of physical memory in use (RSS)."))
	if err != nil {
		return err
	}
	cpuUtil, err := meter.Float64ObservableGauge(names.MetricProcessCPUUtilization,
		metric.WithUnit("1"), metric.WithDescription("CPU time of the process since the last collection divided by elapsed time and the number of CPUs."))
	if err != nil {
		return err
	}
	fsUsage, err := meter.Int64ObservableUpDownCounter(names.MetricSystemFilesystemUsage,
		metric.WithUnit("By"), metric.WithDescription("Filesystem space used and free, for the configured path."))
	if err != nil {
		return err
	}
	fsUtil, err := meter.Float64ObservableGauge(names.MetricSystemFilesystemUtilization,
		metric.WithUnit("1"), metric.WithDescription("Fraction of the filesystem of the configured path in use."))
	if err != nil {
		return err
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		return s.observe(ctx, o, rss, cpuUtil, fsUsage, fsUtil)
	}, rss, cpuUtil, fsUsage, fsUtil)
	return err
}

func (s *systemMetrics) observe(ctx context.Context, o metric.Observer,
	rss metric.Int64ObservableUpDownCounter, cpuUtil metric.Float64ObservableGauge,
	fsUsage metric.Int64ObservableUpDownCounter, fsUtil metric.Float64ObservableGauge,
) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if mem, err := s.proc.MemoryInfoWithContext(ctx); err == nil {
		o.ObserveInt64(rss, clampInt64(mem.RSS))
	} else {
		errs = append(errs, fmt.Errorf("process memory: %w", err))
	}
	if times, err := s.proc.TimesWithContext(ctx); err == nil {
		total := times.User + times.System
		now := s.now()
		if wall := now.Sub(s.lastWall).Seconds(); wall > 0 && s.cpus > 0 {
			util := (total - s.lastCPU) / (wall * s.cpus)
			o.ObserveFloat64(cpuUtil, math.Max(0, math.Min(1, util)))
		}
		s.lastCPU, s.lastWall = total, now
	} else {
		errs = append(errs, fmt.Errorf("process cpu: %w", err))
	}
	if u, err := disk.UsageWithContext(ctx, s.path); err == nil {
		o.ObserveInt64(fsUsage, clampInt64(u.Used), s.used)
		o.ObserveInt64(fsUsage, clampInt64(u.Free), s.free)
		o.ObserveFloat64(fsUtil, u.UsedPercent/100, s.mount)
	} else {
		errs = append(errs, fmt.Errorf("filesystem usage of %s: %w", s.path, err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("system metrics: %w", errs[0])
	}
	return nil
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
