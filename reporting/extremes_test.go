package reporting_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
)

// TestQuantilesNeverExceedTheMax drives the middleware's own cumulative
// histograms through the engine's Poller, as vigil serve does: fast
// requests, then slow ones in a later read, then fast ones again. The
// reported maximum must cover the slow requests, and no quantile may
// exceed it.
func TestQuantilesNeverExceedTheMax(t *testing.T) {
	ctx := context.Background()
	tel, err := instrumentation.Setup(ctx, instrumentation.WithoutGlobalProviders(),
		instrumentation.WithoutHostMetrics(), instrumentation.WithoutRuntimeMetrics())
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	e := echo.New()
	e.Use(instrumentation.MiddlewareWithConfig(tel.MiddlewareConfig()))
	e.GET("/fast", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.GET("/slow", func(c echo.Context) error {
		time.Sleep(260 * time.Millisecond) // lands in the (0.25 s, 0.5 s] bucket
		return c.NoContent(http.StatusOK)
	})
	get := func(path string, n int) {
		for range n {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			require.Equal(t, http.StatusOK, rec.Code)
		}
	}

	f := newFixture(t, nil)
	f.clk.set(time.Now())
	p := exporter.NewPoller(tel.CollectMetrics, f.ser, time.Hour)
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	read := func() { require.NoError(t, p.ForceFlush(ctx)) }

	get("/fast", 20)
	read()
	f.clk.set(time.Now())
	fast, err := f.svc.Performance(ctx, "", 5*time.Minute)
	require.NoError(t, err)
	require.Len(t, fast.Routes, 1)
	l := fast.Routes[0].Latency
	require.NotNil(t, l.MaxMs)
	require.NotNil(t, l.P50Ms)
	assert.LessOrEqual(t, *l.P50Ms, *l.MaxMs, "p50 of sub-millisecond requests stays at the max, not mid 0-5 ms bucket")
	assert.Less(t, *l.MaxMs, 5.0)

	get("/slow", 3)
	read()
	get("/fast", 2)
	read()
	f.clk.set(time.Now())
	perf, err := f.svc.Performance(ctx, "", 5*time.Minute)
	require.NoError(t, err)
	mx := perf.Overall.MaxMs
	require.NotNil(t, mx)
	assert.GreaterOrEqual(t, *mx, 260.0, "the max covers the slow requests")
	assert.LessOrEqual(t, *mx, 500.0, "the max is at most one bucket above them")
	for _, r := range perf.Routes {
		require.NotNil(t, r.MaxMs, r.Route)
		for name, q := range map[string]*float64{"p50": r.P50Ms, "p95": r.P95Ms, "p99": r.P99Ms, "mean": r.MeanMs} {
			require.NotNil(t, q, "%s %s", r.Route, name)
			assert.LessOrEqual(t, *q, *r.MaxMs, "%s %s above the max", r.Route, name)
		}
	}
	for name, q := range map[string]*float64{"p50": perf.Overall.P50Ms, "p95": perf.Overall.P95Ms, "p99": perf.Overall.P99Ms} {
		assert.LessOrEqual(t, *q, *perf.Overall.MaxMs, "overall %s above the max", name)
	}
}
