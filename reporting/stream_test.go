package reporting_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/series"
)

func TestAPISnapshotIsTheLastMinuteOfThePerformanceSummary(t *testing.T) {
	f := newFixture(t, nil)
	f.traffic(t)
	observe(t, f.ser, f.clk.now().Add(-5*time.Second), "", "GET", "404", 0.001) // an unmatched path
	f.clk.add(5 * time.Second)

	ctx := context.Background()
	snap := f.svc.APISnapshot(ctx)
	perf, err := f.svc.Performance(ctx, "", reporting.StreamWindow)
	require.NoError(t, err)
	assert.Equal(t, reporting.ScopeReplica, snap.Scope)
	assert.InDelta(t, 60, snap.WindowSeconds, 0)
	assert.InDelta(t, 17, snap.Requests, 0, "every request, the unmatched one too")
	assert.InDelta(t, 2, snap.Errors, 0, "5xx only")
	assert.InDelta(t, 2.0/17, snap.ErrorRate, 1e-12)
	assert.InDelta(t, 17.0/60, snap.Throughput, 1e-12)
	require.NotNil(t, snap.P95Seconds)
	h := f.ser.Histogram(instrumentation.MetricRequestDuration, nil, reporting.StreamWindow, f.clk.now())
	assert.Equal(t, series.Quantile(0.95, h), *snap.P95Seconds, "the quantile in seconds as series.Quantile gives it")
	assert.InDelta(t, *perf.Overall.P95Ms, *snap.P95Seconds*1000, 1e-9)

	require.Len(t, snap.Routes, 2, "the unmatched path is left out")
	users := snap.Routes[0]
	assert.Equal(t, "/api/users/:id", users.Route, "the busiest first")
	assert.InDelta(t, 14, users.Requests, 0)
	assert.InDelta(t, 2, users.Errors, 0)
	assert.InDelta(t, 2.0/14, users.ErrorRate, 1e-12)
	assert.InDelta(t, 0.4, *users.P95Seconds, 1e-12, "clamped to the slowest request")
	assert.Equal(t, "/api/chat", snap.Routes[1].Route)

	// A quiet minute: zeros and nulls, never NaN.
	f.clk.add(time.Hour)
	snap = f.svc.APISnapshot(ctx)
	assert.Zero(t, snap.Requests)
	assert.Zero(t, snap.ErrorRate)
	assert.Nil(t, snap.P95Seconds)
	assert.Empty(t, snap.Routes)
	_, err = json.Marshal(snap)
	require.NoError(t, err)
}

func TestAPISnapshotKeepsTheBusiestRoutes(t *testing.T) {
	f := newFixture(t, nil)
	at := f.clk.now().Add(5 * time.Second)
	for i := range reporting.MaxStreamRoutes + 5 {
		d := make([]float64, i+1)
		for j := range d {
			d[j] = 0.01
		}
		observe(t, f.ser, at, "/r/"+string(rune('a'+i%26))+string(rune('a'+i/26)), "GET", "200", d...)
	}
	f.clk.add(10 * time.Second)
	snap := f.svc.APISnapshot(context.Background())
	require.Len(t, snap.Routes, reporting.MaxStreamRoutes)
	assert.InDelta(t, float64(reporting.MaxStreamRoutes+5), snap.Routes[0].Requests, 0)
	for i := 1; i < len(snap.Routes); i++ {
		assert.GreaterOrEqual(t, snap.Routes[i-1].Requests, snap.Routes[i].Requests)
	}
}

func TestSystemSnapshotIsTheLatestGauges(t *testing.T) {
	f := newFixture(t, nil)
	assert.Equal(t, reporting.SystemSnapshot{Scope: reporting.ScopeReplica}, f.svc.SystemSnapshot(), "null before the first reading")
	gauge := func(name string, v float64) exporter.Sample {
		return exporter.Sample{Name: name, Kind: exporter.Gauge, Time: f.clk.now(), Value: v}
	}
	require.NoError(t, f.ser.Append(context.Background(), []exporter.Sample{
		gauge(instrumentation.MetricProcessCPUUtilization, 0.25),
		gauge(instrumentation.MetricProcessMemoryUsage, 1<<20),
	}))
	f.clk.add(10 * time.Second)
	s := f.svc.SystemSnapshot()
	require.NotNil(t, s.ProcessCPUUtilization)
	assert.InDelta(t, 0.25, *s.ProcessCPUUtilization, 0)
	require.NotNil(t, s.ProcessMemoryBytes)
	assert.InDelta(t, 1<<20, *s.ProcessMemoryBytes, 0)
	assert.Nil(t, s.DiskUtilization)
}
