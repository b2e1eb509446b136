package reporting_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/series"
)

// TestExactIncreaseOnPrometheusEngine runs ExactIncrease on Prometheus'
// own engine (promtool test rules) over counters that do everything a
// replica's counter does inside a window: keep growing, appear, reset
// (restart), stop (a replica gone), or end before the window.
func TestExactIncreaseOnPrometheusEngine(t *testing.T) {
	promtool := vigiltest.NeedBinary(t, "promtool", "install Debian's prometheus package: scripts/install-deps")
	// One sample per second; evaluated at 100s over 60s: the window starts
	// at 40s.
	series := []map[string]string{
		{"series": `c{s="steady"}`, "values": "5+1x100"},             // 45 at 40s, 105 at 100s: 60
		{"series": `c{s="born"}`, "values": "_x50 1+1x50"},           // first sample 1 at 50s, 51 at 100s: 51
		{"series": `c{s="reset"}`, "values": "10+1x50 0+1x49"},       // 50 at 40s, 60 at 50s, 0 at 51s, 49 at 100s: 10 + 49
		{"series": `c{s="gone"}`, "values": "0+2x60 stale"},          // 80 at 40s, 120 at 60s, then stale: 40
		{"series": `c{s="old"}`, "values": "1+1x20 stale"},           // ended before the window: absent
		{"series": `c{s="idle"}`, "values": "7x100"},                 // no requests in the window: 0
		{"series": `c{s="late"}`, "values": "_x99 3"},                // born at the last instant: 3
		{"series": `c{s="twice"}`, "values": "0+1x60 0+1x19 0+1x19"}, // two resets inside the window
	}
	by := []map[string]any{
		{"labels": `{s="steady"}`, "value": 60}, {"labels": `{s="born"}`, "value": 51},
		{"labels": `{s="reset"}`, "value": 59}, {"labels": `{s="gone"}`, "value": 40},
		{"labels": `{s="idle"}`, "value": 0}, {"labels": `{s="late"}`, "value": 3},
		// increase() over the two resets: 60-40 before, 19 and 19 after, no extrapolation (samples span the range).
		{"labels": `{s="twice"}`, "value": 20 + 19 + 19},
	}
	tests := map[string]any{
		"rule_files":          []string{},
		"evaluation_interval": "1s",
		"tests": []any{map[string]any{
			"interval":     "1s",
			"input_series": series,
			"promql_expr_test": []any{
				map[string]any{"expr": reporting.ExactIncrease("c", time.Minute, []string{"s"}), "eval_time": "100s", "exp_samples": by},
				map[string]any{"expr": reporting.ExactIncrease("c", time.Minute, nil), "eval_time": "100s",
					"exp_samples": []any{map[string]any{"labels": "{}", "value": 60 + 51 + 59 + 40 + 3 + 58}}},
				// A window ending before anything was counted.
				map[string]any{"expr": reporting.ExactIncrease(`c{s="born"}`, 10*time.Second, nil), "eval_time": "45s", "exp_samples": []any{}},
			},
		}},
	}
	b, err := yaml.Marshal(tests)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "exact_test.yml")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	out, err := exec.CommandContext(t.Context(), promtool, "test", "rules", path).CombinedOutput()
	require.NoError(t, err, "promtool test rules:\n%s\n%s", out, b)
}

// histogramTarget serves http_server_request_duration_seconds as Vigil's
// /metrics names it, for Prometheus to scrape.
type histogramTarget struct {
	addr string
	h    *prometheus.HistogramVec
}

func newHistogramTarget(t *testing.T) *histogramTarget {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: instrumentation.PromRequestDuration, Help: "Duration of HTTP server requests.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.25, 0.5},
	}, []string{instrumentation.PromAttrRoute, instrumentation.PromAttrMethod, instrumentation.PromAttrStatusCode})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	return &histogramTarget{addr: strings.TrimPrefix(srv.URL, "http://"), h: h}
}

func (ht *histogramTarget) observe(route, method, status string, d float64, n int) {
	for range n {
		ht.h.WithLabelValues(route, method, status).Observe(d)
	}
}

// traced observes one request with its trace as the exemplar.
func (ht *histogramTarget) traced(route, method, status string, d float64, traceID string) {
	ht.h.WithLabelValues(route, method, status).(prometheus.ExemplarObserver).ObserveWithExemplar(d,
		prometheus.Labels{"trace_id": traceID, "span_id": "00f067aa0ba902b7"})
}

func TestFleetSourceAgainstPrometheus(t *testing.T) {
	a, b := newHistogramTarget(t), newHistogramTarget(t)
	prom := vigiltest.StartPrometheus(t, vigiltest.PrometheusOptions{Targets: []string{a.addr, b.addr}})
	prom.WaitScraped("vigil", 2, 30*time.Second) // the series exist before the requests
	// Replica a: 10 fast and 4 slow GETs on users, 2 failing; replica b: 5 chat POSTs, 1 failing.
	a.observe("/api/users/:id", "GET", "200", 0.02, 10)
	a.observe("/api/users/:id", "GET", "200", 0.4, 4)
	a.observe("/api/users/:id", "GET", "500", 0.003, 1)
	a.traced("/api/users/:id", "GET", "500", 0.003, "4bf92f3577b34da6a3ce929d0e0e4736")
	b.observe("/api/chat", "POST", "200", 0.2, 4)
	b.observe("/api/chat", "POST", "503", 0.004, 1)
	prom.WaitScraped("vigil", 2, 30*time.Second)

	client, err := fleet.NewClient(fleet.PrometheusConfig{URL: prom.URL, Timeout: fleet.Duration(5 * time.Second), MaxSeries: 1000}, fleet.Deps{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close(context.Background()) })
	ms, err := fleet.ParseMatchers(`{job="vigil"}`)
	require.NoError(t, err)
	src := reporting.NewFleetSource(client, ms.Strings())
	ctx := t.Context()
	now := time.Now()
	errs := []series.Matcher{{Name: instrumentation.AttrStatusCode, Type: series.MatchRegexp, Value: "5.."}}
	by := []string{instrumentation.AttrRoute, instrumentation.AttrMethod}

	t.Run("counts are the exact totals of both targets", func(t *testing.T) {
		total, err := src.IncreaseBy(ctx, nil, nil, 5*time.Minute, now)
		require.NoError(t, err)
		require.Len(t, total, 1)
		assert.Equal(t, 21.0, total[0].Value)
		e, err := src.IncreaseBy(ctx, errs, nil, 5*time.Minute, now)
		require.NoError(t, err)
		assert.Equal(t, 3.0, e[0].Value)
	})
	t.Run("groups carry the OTel attribute names", func(t *testing.T) {
		gs, err := src.IncreaseBy(ctx, nil, by, 5*time.Minute, now)
		require.NoError(t, err)
		got := map[string]float64{}
		for _, g := range gs {
			got[g.Labels[instrumentation.AttrMethod]+" "+g.Labels[instrumentation.AttrRoute]] = g.Value
		}
		assert.Equal(t, map[string]float64{"GET /api/users/:id": 16, "POST /api/chat": 5}, got)
	})
	t.Run("the extra matchers select what they name", func(t *testing.T) {
		only, err := fleet.ParseMatchers(fmt.Sprintf(`{job="vigil", instance=%q}`, b.addr))
		require.NoError(t, err)
		gs, err := reporting.NewFleetSource(client, only.Strings()).IncreaseBy(ctx, nil, nil, 5*time.Minute, now)
		require.NoError(t, err)
		assert.Equal(t, 5.0, gs[0].Value)
		none, err := fleet.ParseMatchers(`{job="other"}`)
		require.NoError(t, err)
		gs, err = reporting.NewFleetSource(client, none.Strings()).IncreaseBy(ctx, nil, nil, 5*time.Minute, now)
		require.NoError(t, err)
		assert.Empty(t, gs)
	})
	t.Run("histograms hold the exact bucket counts and the sum", func(t *testing.T) {
		hs, err := src.HistogramBy(ctx, []series.Matcher{{Name: instrumentation.AttrRoute, Value: "/api/users/:id"}}, nil, 5*time.Minute, now)
		require.NoError(t, err)
		require.Len(t, hs, 1)
		h := hs[0]
		assert.Equal(t, []float64{0.005, 0.01, 0.025, 0.25, 0.5}, h.Bounds)
		assert.Equal(t, []uint64{2, 0, 10, 0, 4, 0}, h.Counts)
		assert.Equal(t, uint64(16), h.Count)
		assert.InDelta(t, 10*0.02+4*0.4+2*0.003, h.Sum, 1e-9)
	})
	t.Run("quantiles are what histogram_quantile gives on the same buckets", func(t *testing.T) {
		hs, err := src.HistogramBy(ctx, nil, []string{instrumentation.AttrRoute}, 5*time.Minute, now)
		require.NoError(t, err)
		require.Len(t, hs, 2)
		for _, q := range []float64{0.5, 0.95, 0.99} {
			expr := fmt.Sprintf("histogram_quantile(%g, %s)", q,
				reporting.ExactIncrease(instrumentation.PromRequestDuration+`_bucket{job="vigil"}`, 5*time.Minute, []string{instrumentation.PromAttrRoute, "le"}))
			want := map[string]float64{}
			for _, s := range prom.QueryAt(expr, now) {
				want[s.Metric[instrumentation.PromAttrRoute]] = s.Value
			}
			for _, h := range hs {
				r := h.Labels[instrumentation.AttrRoute]
				assert.InDelta(t, want[r], series.Quantile(q, h), 1e-9, "q %g on %s", q, r)
			}
		}
	})
	t.Run("the service answers in the fleet scope by default", func(t *testing.T) {
		f := newFixture(t, nil, func(c *reporting.ServiceConfig) { c.Fleet = src; c.Now = time.Now })
		req, err := f.svc.Requests(ctx, "", 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, reporting.ScopeFleet, req.Scope)
		assert.Equal(t, int64(21), req.Requests)
		assert.Equal(t, int64(3), req.Errors)
		rep, err := f.svc.Requests(ctx, reporting.ScopeReplica, 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, reporting.ScopeReplica, rep.Scope)
		assert.Equal(t, int64(0), rep.Requests, "this replica's own series saw nothing")
		perf, err := f.svc.Performance(ctx, "", 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, int64(21), perf.Overall.Requests)
		assert.Nil(t, perf.Overall.MaxMs, "Prometheus histograms keep no maximum")
		snap := f.svc.APISnapshot(ctx)
		assert.Equal(t, reporting.ScopeFleet, snap.Scope)
	})
	t.Run("the fleet's failing requests come from their exemplars", func(t *testing.T) {
		recs, err := src.RecentErrors(ctx, 5*time.Minute, time.Now(), 20)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		r := recs[0]
		assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", r.TraceID)
		assert.Equal(t, "00f067aa0ba902b7", r.SpanID)
		assert.Equal(t, reporting.TraceRecord{TraceID: r.TraceID, SpanID: r.SpanID, Kind: reporting.KindError, Route: "/api/users/:id",
			Method: "GET", Status: 500, DurationMs: 3, Start: r.End.Add(-3 * time.Millisecond), End: r.End}, r)
		f := newFixture(t, nil, func(c *reporting.ServiceConfig) { c.Fleet = src; c.Now = time.Now })
		rep, err := f.svc.Report(ctx, "", 5*time.Minute)
		require.NoError(t, err)
		require.Len(t, rep.TopErrors, 1, "this replica saw none; the fleet one")
		assert.Equal(t, r.TraceID, rep.TopErrors[0].TraceID)
		rep, err = f.svc.Report(ctx, reporting.ScopeReplica, 5*time.Minute)
		require.NoError(t, err)
		assert.Empty(t, rep.TopErrors)
	})
	t.Run("a failing Prometheus makes fleet summaries fail, the stream fall back", func(t *testing.T) {
		f := newFixture(t, nil, func(c *reporting.ServiceConfig) { c.Fleet = src; c.Now = time.Now })
		prom.Kill()
		t.Cleanup(prom.Restart)
		_, err := f.svc.Requests(ctx, "", 5*time.Minute)
		require.ErrorIs(t, err, reporting.ErrFleetUnavailable)
		assert.Contains(t, err.Error(), "fleet scope unavailable: prometheus unreachable: ")
		_, err = f.svc.Report(ctx, "", 5*time.Minute)
		require.ErrorIs(t, err, reporting.ErrFleetUnavailable)
		_, err = f.svc.EvaluateSLOs(ctx, "")
		require.NoError(t, err, "no SLO configured, nothing to ask")
		snap := f.svc.APISnapshot(ctx)
		assert.Equal(t, reporting.ScopeReplica, snap.Scope)
		assert.Contains(t, snap.FleetError, "prometheus unreachable")
		_, err = f.svc.Requests(ctx, reporting.ScopeReplica, 5*time.Minute)
		require.NoError(t, err, "the replica scope needs no Prometheus")
	})
}

func TestScopeWithoutFleetMode(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Requests(t.Context(), reporting.ScopeFleet, time.Minute)
	require.ErrorIs(t, err, reporting.ErrInvalidParam)
	assert.Equal(t, `query parameter "scope": fleet mode is off (set fleet.prometheus.url); only replica is available`, err.Error())
	_, err = reporting.ParseScope("cluster")
	assert.Equal(t, `query parameter "scope": must be fleet or replica`, err.Error())
}
