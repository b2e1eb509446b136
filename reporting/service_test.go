package reporting_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

var bounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// observe appends one histogram sample of the given durations (seconds).
func observe(t *testing.T, ser *series.Store, at time.Time, route, method, status string, durations ...float64) {
	t.Helper()
	s := exporter.Sample{
		Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram, Time: at,
		Attrs: []exporter.Attr{{Key: instrumentation.AttrMethod, Value: method}, {Key: instrumentation.AttrRoute, Value: route},
			{Key: instrumentation.AttrStatusCode, Value: status}},
		Bounds: bounds, Counts: make([]uint64, len(bounds)+1), Min: math.Inf(1), Max: math.Inf(-1),
	}
	for _, d := range durations {
		i := 0
		for i < len(bounds) && d > bounds[i] {
			i++
		}
		s.Counts[i]++
		s.Count++
		s.Sum += d
		s.Min, s.Max = min(s.Min, d), max(s.Max, d)
	}
	require.NoError(t, ser.Append(context.Background(), []exporter.Sample{s}))
}

type fixture struct {
	clk   *clock
	ser   *series.Store
	usage *reporting.Usage
	svc   *reporting.Service
}

func newFixture(t *testing.T, slos []reporting.SLO, opts ...func(*reporting.ServiceConfig)) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	ser, err := series.New(series.Config{Now: clk.now})
	require.NoError(t, err)
	st := openStore(t)
	u := newUsage(t, st, clk)
	cfg := reporting.ServiceConfig{Series: ser, Usage: u, Alerts: st, SLOs: slos, Now: clk.now}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := reporting.NewService(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	return &fixture{clk: clk, ser: ser, usage: u, svc: svc}
}

// traffic: /api/users/:id GET 8 × 20 ms, 4 × 400 ms, 2 × 500 (3 ms);
// /api/chat POST 2 × 150 ms.
func (f *fixture) traffic(t *testing.T) {
	at := f.clk.now().Add(5 * time.Second)
	observe(t, f.ser, at, "/api/users/:id", "GET", "200", 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.4, 0.4, 0.4, 0.4)
	observe(t, f.ser, at, "/api/users/:id", "GET", "500", 0.003, 0.003)
	observe(t, f.ser, at, "/api/chat", "POST", "200", 0.15, 0.15)
	for range 12 {
		f.usage.Record(at, reporting.UsageKey{Client: "alice", Route: "/api/users/:id", Method: "GET"}, reporting.Counts{Requests: 1})
	}
	for range 2 {
		f.usage.Record(at, reporting.UsageKey{Client: "bob", Route: "/api/users/:id", Method: "GET"}, reporting.Counts{Requests: 1, Errors: 1})
	}
	f.clk.add(10 * time.Second) // the step holding the samples has ended
}

func TestRequestsAndPerformance(t *testing.T) {
	f := newFixture(t, nil)
	f.traffic(t)
	req, err := f.svc.Requests(context.Background(), "", 5*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, reporting.ScopeReplica, req.Scope, "without fleet mode the default scope is the replica")
	assert.Equal(t, int64(16), req.Requests)
	assert.Equal(t, int64(2), req.Errors)
	assert.InDelta(t, 16.0/300, req.ThroughputRPS, 1e-12)
	require.Len(t, req.Routes, 2)
	assert.Equal(t, reporting.RouteRequests{Route: "/api/users/:id", Method: "GET", Requests: 14, Errors: 2,
		ErrorRate: 2.0 / 14, ThroughputRPS: 14.0 / 300}, req.Routes[0])

	perf, err := f.svc.Performance(context.Background(), "", 5*time.Minute)
	require.NoError(t, err)
	users := perf.Routes[0]
	require.Equal(t, "/api/users/:id", users.Route)
	// 14 observations: 2 in (0, 5 ms], 8 in (10, 25 ms], 4 in (250, 500 ms].
	// p50: rank 7 → 6th of 8 in (10, 25] → 10 + 15·5/8 ms.
	assert.InDelta(t, 10+15*5.0/8, *users.P50Ms, 1e-9)
	// p95: rank 13.3 → 3.3rd of 4 in (250, 500] → 250 + 250·3.3/4 = 456.25
	// by histogram_quantile, above the slowest request (400 ms): clamped to
	// it, as p99 (491.25).
	assert.InDelta(t, 400, *users.P95Ms, 1e-9)
	assert.InDelta(t, 400, *users.P99Ms, 1e-9)
	assert.InDelta(t, (8*20+4*400+2*3)/14.0, *users.MeanMs, 1e-9)
	assert.InDelta(t, 400, *users.MaxMs, 1e-9)
	assert.Equal(t, int64(16), perf.Overall.Requests)

	// The same quantile series.Quantile computes: histogram_quantile
	// semantics within the observed extremes.
	h := f.ser.Histogram(instrumentation.MetricRequestDuration, []series.Matcher{{Name: instrumentation.AttrRoute, Value: "/api/users/:id"}}, 5*time.Minute, f.clk.now())
	assert.InDelta(t, series.Quantile(0.95, h)*1000, *users.P95Ms, 1e-9)

	// An empty window gives nulls, not NaN (JSON cannot carry NaN).
	f.clk.add(time.Hour)
	perf, err = f.svc.Performance(context.Background(), reporting.ScopeReplica, time.Minute)
	require.NoError(t, err)
	assert.Nil(t, perf.Overall.P50Ms)
	_, err = json.Marshal(perf)
	require.NoError(t, err)
}

func TestSLOEvaluation(t *testing.T) {
	slos, err := reporting.ParseSLOs([]byte(`
- {name: users, route: "/api/users/:id", objective: 0.9, latency_threshold: 300ms}
- {name: chat, route: /api/chat, objective: 0.999, window: 7d}
`), 30*24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, alerting.Duration(reporting.DefaultSLOWindow), slos[0].Window)
	f := newFixture(t, slos)
	f.traffic(t)
	rep, err := f.svc.EvaluateSLOs(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, rep.SLOs, 2)
	u := rep.SLOs[0]
	assert.Equal(t, int64(14), u.Availability.Total)
	assert.Equal(t, int64(12), u.Availability.Good)
	assert.InDelta(t, 1-(2.0/14)/0.1, *u.ErrorBudgetRemaining, 1e-9)
	assert.InDelta(t, (2.0/14)/0.1, *u.BurnRate1h, 1e-9)
	assert.Equal(t, int64(10), u.Latency.Good, "threshold 300 ms counts up to the 250 ms bound")
	assert.InDelta(t, 250, *u.EffectiveThresholdMs, 1e-9)
	assert.Equal(t, reporting.SLOExhausted, u.Status)
	c := rep.SLOs[1]
	assert.Equal(t, reporting.SLOOK, c.Status, "chat has series (burn rate 0) but no usage rollups")
	assert.Nil(t, c.ErrorBudgetRemaining)
	assert.InDelta(t, 0, *c.BurnRate1h, 1e-12)
}

// TestDefaultSLOsCoverRouteFamilies: without a `slos` section the SLOs are
// one per route family; each counts the requests of its family only.
func TestDefaultSLOsCoverRouteFamilies(t *testing.T) {
	f := newFixture(t, alerting.DefaultSLOs())
	f.traffic(t)
	at := f.clk.now().Add(-5 * time.Second)
	observe(t, f.ser, at, "/api/alerts", "GET", "500", 0.01)
	observe(t, f.ser, at, "/health", "GET", "503", 0.01)
	f.usage.Record(at, reporting.UsageKey{Client: "ops", Route: "/api/alerts", Method: "GET"}, reporting.Counts{Requests: 4, Errors: 1})
	f.usage.Record(at, reporting.UsageKey{Client: "probe", Route: "/health", Method: "GET"}, reporting.Counts{Requests: 9, Errors: 9})
	f.clk.add(10 * time.Second)
	rep, err := f.svc.EvaluateSLOs(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, rep.SLOs, 2)
	api, mgmt := rep.SLOs[0], rep.SLOs[1]
	assert.Equal(t, alerting.FamilyAPI, api.Family)
	assert.Equal(t, int64(14), api.Availability.Total, "the reference API's requests, not management's or probes'")
	assert.Equal(t, int64(12), api.Availability.Good)
	assert.InDelta(t, (2.0/16)/0.001, *api.BurnRate1h, 1e-9, "2 of the 16 API requests in the series failed")
	assert.Equal(t, alerting.FamilyManagement, mgmt.Family)
	assert.Equal(t, int64(4), mgmt.Availability.Total)
	assert.Equal(t, int64(3), mgmt.Availability.Good)
	assert.InDelta(t, 1/0.01, *mgmt.BurnRate1h, 1e-9, "the one management request in the series failed")
}

func TestSLOGaugesReachTheMeter(t *testing.T) {
	slos, err := reporting.ParseSLOs([]byte(`[{name: users, route: "/api/users/:id", objective: 0.9}]`), 0)
	require.NoError(t, err)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	f := newFixture(t, slos, func(c *reporting.ServiceConfig) { c.MeterProvider = mp })
	f.traffic(t)
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[float64]); ok {
				for _, dp := range g.DataPoints {
					got[m.Name] = dp.Value
				}
			}
		}
	}
	assert.InDelta(t, 1-(2.0/14)/0.1, got[instrumentation.MetricSLOBudgetRemaining], 1e-9)
	assert.InDelta(t, (2.0/14)/0.1, got[instrumentation.MetricSLOBurnRate], 1e-9)
}

func TestReportRenderings(t *testing.T) {
	slos, err := reporting.ParseSLOs([]byte(`[{name: users, route: "/api/users/:id", objective: 0.9, latency_threshold: 300ms}]`), 0)
	require.NoError(t, err)
	f := newFixture(t, slos)
	st := openStore(t)
	fired := f.clk.now()
	require.NoError(t, st.UpsertAlert(context.Background(), store.Alert{ID: "a1", RuleName: "HighErrors", State: store.StateFiring,
		Severity: "critical", ActiveAt: fired, FiredAt: &fired, Annotations: map[string]string{"summary": "errors | on, users"}}))
	f = newFixture(t, slos, func(c *reporting.ServiceConfig) { c.Alerts = st })
	f.traffic(t)
	f.ser.RecordSpans(context.Background(), []exporter.SpanRecord{{TraceID: strings.Repeat("ab", 16), SpanID: strings.Repeat("cd", 8),
		Route: "/api/users/:id", Method: "GET", Status: 500, Duration: 3 * time.Millisecond, Start: f.clk.now(), End: f.clk.now(),
		Kind: exporter.SpanKindError, ErrorType: "*echo.HTTPError", ErrorMessage: "demo, \"fault\"\ninjected"}})
	rep, err := f.svc.Report(context.Background(), "", 5*time.Minute)
	require.NoError(t, err)
	require.Len(t, rep.Alerts, 1)
	require.Len(t, rep.TopErrors, 1)

	t.Run("JSON decodes into the documented type", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, reporting.WriteJSON(&buf, rep))
		var back reporting.Report
		dec := json.NewDecoder(&buf)
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&back))
		assert.Equal(t, rep.Endpoints, back.Endpoints)
		assert.Equal(t, rep.Usage.Totals, back.Usage.Totals)
	})
	t.Run("CSV parses back with encoding/csv", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, reporting.WriteCSV(&buf, rep))
		assert.Contains(t, buf.String(), "\r\n", "RFC 4180 line ends")
		r := csv.NewReader(&buf)
		rows, err := r.ReadAll()
		require.NoError(t, err)
		assert.Equal(t, reporting.CSVHeader, rows[0])
		find := func(section, id, field string) string {
			for _, row := range rows[1:] {
				require.Len(t, row, len(reporting.CSVHeader))
				if row[0] == section && row[1] == id && row[4] == field {
					return row[5]
				}
			}
			return "<missing>"
		}
		assert.Equal(t, "16", find("summary", "", "requests"))
		assert.Equal(t, "demo, \"fault\"\ninjected", find("error", strings.Repeat("ab", 16), "error_message"))
		assert.Equal(t, "errors | on, users", find("alert", "a1", "summary"))
		assert.Equal(t, "12", find("usage", "alice", "requests"))
		assert.Equal(t, "10", find("slo", "users", "latency_good"))
	})
	t.Run("Markdown is readable as is", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, reporting.WriteMarkdown(&buf, rep))
		md := buf.String()
		assert.Contains(t, md, "# Vigil report")
		assert.Contains(t, md, "| `GET /api/users/:id` | 14 | 2 | 14.29 % |")
		assert.Contains(t, md, `errors \| on, users`, "pipes are escaped")
		assert.Contains(t, md, "demo, \"fault\" injected", "newlines do not break the table")
		assert.Contains(t, md, "| users | `/api/users/:id` | 90.000 % | 30d |")
	})
}
