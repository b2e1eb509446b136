package reporting_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/reporting"
	"go.opentelemetry.io/contrib/instrumentation/host"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func systemSeries(t *testing.T, sum reporting.SystemSummary, name string) reporting.SystemSeries {
	t.Helper()
	for _, s := range sum.Series {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no system series %q in %+v", name, sum.Series)
	return reporting.SystemSeries{}
}

func gauge(name string, at time.Time, v float64, attrs ...exporter.Attr) exporter.Sample {
	return exporter.Sample{Name: name, Kind: exporter.Gauge, Time: at, Value: v, Attrs: attrs}
}

func TestSystemFigures(t *testing.T) {
	f := newFixture(t, nil)
	at := f.clk.now().Add(-20 * time.Second)
	state := func(v string) exporter.Attr { return exporter.Attr{Key: "system.memory.state", Value: v} }
	dir := func(v string) exporter.Attr { return exporter.Attr{Key: "network.io.direction", Value: v} }
	require.NoError(t, f.ser.Append(context.Background(), []exporter.Sample{
		gauge("system.memory.utilization", at, 0.04, state("used")),
		gauge("system.memory.utilization", at, 0.96, state("free")),
		// The host package counts network bytes since boot: the first read
		// carries 600 MB that were not received in its step.
		{Name: "system.network.io", Kind: exporter.Counter, Time: at, Value: 600e6, Attrs: []exporter.Attr{dir("receive")}},
		{Name: "system.network.io", Kind: exporter.Counter, Time: at.Add(10 * time.Second), Value: 1000, Attrs: []exporter.Attr{dir("receive")}},
		{Name: "system.network.io", Kind: exporter.Counter, Time: at.Add(20 * time.Second), Value: 3000, Attrs: []exporter.Attr{dir("receive")}},
	}))
	sum := f.svc.System(1)

	mem := systemSeries(t, sum, "system_memory")
	require.NotNil(t, mem.Current)
	assert.InDelta(t, 0.04, *mem.Current, 1e-9, "utilization is used / total, not the sum of the states")
	for _, p := range mem.Points {
		assert.InDelta(t, 0.04, p.V, 1e-9)
	}

	rx := systemSeries(t, sum, "network_receive")
	require.NotNil(t, rx.Current)
	assert.InDelta(t, 300, *rx.Current, 1e-9, "bytes per second of the last step")
	for _, p := range rx.Points {
		assert.Less(t, p.V, 1000.0, "no point carries the since-boot total (at %s)", p.T)
	}
	assert.Equal(t, 2, len(rx.Points), "only the steps after the first read have a rate")
}

// TestSystemMemoryFromTheHostPackage feeds the contrib host instruments
// through the engine's Poller, as vigil serve does, and compares with the
// used state the same collection reported.
func TestSystemMemoryFromTheHostPackage(t *testing.T) {
	f := newFixture(t, nil)
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(sdkmetric.DefaultTemporalitySelector))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	require.NoError(t, host.Start(host.WithMeterProvider(mp)))

	var used, free float64
	collect := func(ctx context.Context, rm *metricdata.ResourceMetrics) error {
		if err := reader.Collect(ctx, rm); err != nil {
			return err
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				g, ok := m.Data.(metricdata.Gauge[float64])
				if !ok || m.Name != "system.memory.utilization" {
					continue
				}
				for _, dp := range g.DataPoints {
					switch v, _ := dp.Attributes.Value("system.memory.state"); v.AsString() {
					case "used":
						used = dp.Value
					case "free":
						free = dp.Value
					}
				}
			}
		}
		return nil
	}
	f.clk.set(time.Now())
	p := exporter.NewPoller(collect, f.ser, time.Hour)
	require.NoError(t, p.ForceFlush(context.Background()))
	require.NoError(t, p.Shutdown(context.Background()))
	require.Positive(t, used, "the host package reported the used state")
	require.Positive(t, free)

	// The poller stamps samples with the wall clock; read at that time.
	f.clk.set(time.Now())
	mem := systemSeries(t, f.svc.System(1), "system_memory")
	require.NotNil(t, mem.Current)
	assert.InDelta(t, used, *mem.Current, 1e-12)
	assert.Less(t, *mem.Current, 1.0)
	assert.Equal(t, instrumentation.MetricProcessMemoryUsage, systemSeries(t, f.svc.System(1), "memory").Metric)
}
