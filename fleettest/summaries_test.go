package fleettest_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/server"
)

func usersRow(t testing.TB, rs []reporting.RouteRequests) reporting.RouteRequests {
	t.Helper()
	for _, r := range rs {
		if r.Route == usersRoute && r.Method == http.MethodGet {
			return r
		}
	}
	return reporting.RouteRequests{}
}

// TestFleetSummaries sends a known number of requests to each of two
// replicas and reads the summaries on both: in fleet mode each counts the
// exact total of both, ?scope=replica each its own; then Prometheus fails
// in each way it can, and comes back.
func TestFleetSummaries(t *testing.T) {
	f := startFleet(t, 2)
	a, b := f.replicas[0], f.replicas[1]
	const okA, okB, failB = 37, 18, 5
	send(t, a, okA, false)
	send(t, b, okB, false)
	send(t, b, failB-1, true)
	const tracedOnB = "4bf92f3577b34da6a3ce929d0e0e4736"
	sendTraced(t, b, tracedOnB)
	const total, errs = okA + okB + failB, failB
	f.scraped()

	t.Run("requests on either replica count the exact total of both", func(t *testing.T) {
		for _, p := range f.replicas {
			var s reporting.RequestSummary
			getJSON(t, p, "/api/metrics/requests?minutes=5", &s)
			assert.Equal(t, reporting.ScopeFleet, s.Scope)
			r := usersRow(t, s.Routes)
			assert.Equal(t, int64(total), r.Requests, "fleet-wide requests on %s", p.URL)
			assert.Equal(t, int64(errs), r.Errors)
			assert.InDelta(t, float64(errs)/total, r.ErrorRate, 1e-12)
		}
	})
	t.Run("the counts stay exact while the window slides over idle time", func(t *testing.T) {
		// increase() would extrapolate to the window's edges: N × w / (span
		// sampled), drifting as more empty scrapes enter the window.
		for range 3 {
			f.scraped()
			var s reporting.RequestSummary
			getJSON(t, b, "/api/metrics/requests?minutes=1", &s)
			assert.Equal(t, int64(total), usersRow(t, s.Routes).Requests)
		}
	})
	t.Run("scope=replica counts what each replica served", func(t *testing.T) {
		for _, tc := range []struct {
			p    *vigiltest.Proc
			want int64
		}{{a, okA}, {b, okB + failB}} {
			vigiltest.Eventually(t, 10*time.Second, "the replica's own series hold its requests", func() bool {
				var s reporting.RequestSummary
				getJSON(t, tc.p, "/api/metrics/requests?minutes=5&scope=replica", &s)
				return s.Scope == reporting.ScopeReplica && usersRow(t, s.Routes).Requests == tc.want
			})
		}
	})
	t.Run("performance counts the fleet; p95 is histogram_quantile of the exact buckets", func(t *testing.T) {
		var s reporting.PerformanceSummary
		getJSON(t, a, "/api/metrics/performance?minutes=5", &s)
		assert.Equal(t, reporting.ScopeFleet, s.Scope)
		var users *reporting.RouteLatency
		for i := range s.Routes {
			if s.Routes[i].Route == usersRoute {
				users = &s.Routes[i]
			}
		}
		require.NotNil(t, users, "%+v", s.Routes)
		assert.Equal(t, int64(total), users.Requests)
		assert.Equal(t, int64(errs), users.Errors)
		assert.Nil(t, users.MaxMs, "Prometheus histograms keep no maximum")
		expr := `histogram_quantile(0.95, ` + reporting.ExactIncrease(instrumentation.PromRequestDuration+`_bucket{job="vigil",http_route="/api/users/:id"}`,
			5*time.Minute, []string{"le"}) + `)`
		got := f.prom.QueryAt(expr, s.Until)
		require.Len(t, got, 1)
		require.NotNil(t, users.P95Ms)
		assert.InDelta(t, got[0].Value*1000, *users.P95Ms, 1e-6)
	})
	t.Run("the SLO burn rate counts the fleet", func(t *testing.T) {
		var s reporting.SLOReport
		getJSON(t, b, "/api/slos", &s)
		assert.Equal(t, reporting.ScopeFleet, s.Scope)
		require.Len(t, s.SLOs, 1)
		require.NotNil(t, s.SLOs[0].BurnRate1h)
		assert.InDelta(t, float64(errs)/total/0.1, *s.SLOs[0].BurnRate1h, 1e-9)
	})
	t.Run("reports count the fleet in every format", func(t *testing.T) {
		var r reporting.Report
		getJSON(t, a, "/api/reports?minutes=5", &r)
		assert.Equal(t, reporting.ScopeFleet, r.Scope)
		var users *reporting.EndpointRow
		for i := range r.Endpoints {
			if r.Endpoints[i].Route == usersRoute {
				users = &r.Endpoints[i]
			}
		}
		require.NotNil(t, users)
		assert.Equal(t, int64(total), users.Requests)
		var traces []string
		for _, e := range r.TopErrors {
			traces = append(traces, e.TraceID)
		}
		assert.Contains(t, traces, tracedOnB, "a's report lists b's sampled failing request, from its exemplar")

		code, body := get(t, a, "/api/reports?minutes=5&format=csv")
		require.Equal(t, http.StatusOK, code)
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		require.NoError(t, err)
		found := map[string]string{}
		for _, row := range rows[1:] {
			if row[0] == "report" || (row[0] == "endpoint" && row[2] == usersRoute) {
				found[row[0]+"."+row[4]] = row[5]
			}
		}
		assert.Equal(t, "fleet", found["report.scope"])
		assert.Equal(t, strconv.Itoa(total), found["endpoint.requests"])

		code, body = get(t, a, "/api/reports?minutes=5&format=markdown")
		require.Equal(t, http.StatusOK, code)
		assert.Contains(t, string(body), "Scope: fleet (every replica, from Prometheus)")
		assert.Contains(t, string(body), "| `GET /api/users/:id` | "+strconv.Itoa(total)+" | "+strconv.Itoa(errs)+" |")
	})
	t.Run("the stream's api_metrics count the fleet", func(t *testing.T) {
		var snap reporting.APISnapshot
		require.NoError(t, json.Unmarshal(streamMessage(t, b, server.MessageAPIMetrics), &snap))
		assert.Equal(t, reporting.ScopeFleet, snap.Scope)
		assert.GreaterOrEqual(t, snap.Requests, float64(total), "b served %d of them", okB+failB)
	})
	t.Run("system metrics stay per replica and say so", func(t *testing.T) {
		var s reporting.SystemSummary
		getJSON(t, a, "/api/metrics/system", &s)
		assert.Equal(t, reporting.ScopeReplica, s.Scope)
		pr := problem(t, a, "/api/metrics/system?scope=fleet", http.StatusBadRequest)
		assert.Contains(t, pr.Detail, "scope")
	})
	t.Run("health reports fleet:prometheus passing", func(t *testing.T) {
		c, status := health(t, a)
		assert.Equal(t, server.StatusPass, c.Status, c.Output)
		assert.Equal(t, server.StatusPass, status)
	})

	// Faults: the summaries answer 503 naming Prometheus, the replica
	// scope still answers, health warns, the failure is counted.
	faults := []struct {
		name   string
		inject func()
		reason string
		detail string
	}{
		{"Prometheus killed", f.prom.Kill, "unreachable", "fleet scope unavailable: prometheus unreachable: "},
		{"Prometheus slower than the timeout", func() { f.proxy.Set(vigiltest.Fault{Delay: 3 * queryTimeout}) }, "timeout",
			"fleet scope unavailable: prometheus timeout: no answer within 2s"},
		{"Prometheus answering an error", func() {
			f.proxy.Set(vigiltest.Fault{Status: http.StatusUnprocessableEntity, Body: `{"status":"error","errorType":"execution","error":"query timed out in expression evaluation"}`})
		}, "error_response", "fleet scope unavailable: prometheus error_response: query timed out in expression evaluation"},
	}
	for _, ft := range faults {
		t.Run(ft.name+": summaries answer 503 naming Prometheus", func(t *testing.T) {
			ft.inject()
			t.Cleanup(func() { f.proxy.Set(vigiltest.Fault{}) })
			before := metricValue(t, a, "vigil_fleet_query_failures_total", `reason="`+ft.reason+`"`)
			for _, path := range []string{"/api/metrics/requests", "/api/metrics/performance", "/api/slos", "/api/reports", "/api/reports?format=csv"} {
				pr := problem(t, a, path, http.StatusServiceUnavailable)
				assert.Contains(t, pr.Detail, ft.detail, path)
				assert.Contains(t, pr.Detail, "?scope=replica", path)
			}
			var s reporting.RequestSummary
			getJSON(t, a, "/api/metrics/requests?scope=replica", &s)
			assert.Equal(t, reporting.ScopeReplica, s.Scope)
			assert.Equal(t, int64(okA), usersRow(t, s.Routes).Requests)

			var snap reporting.APISnapshot
			require.NoError(t, json.Unmarshal(streamMessage(t, a, server.MessageAPIMetrics), &snap))
			assert.Equal(t, reporting.ScopeReplica, snap.Scope, "the stream falls back to the replica")
			assert.Contains(t, snap.FleetError, "prometheus "+ft.reason)

			c, status := health(t, a)
			assert.Equal(t, server.StatusWarn, c.Status)
			assert.Contains(t, c.Output, "prometheus "+ft.reason)
			assert.Equal(t, server.StatusWarn, status, "a warning, not a failure: the replica serves")
			vigiltest.Eventually(t, 10*time.Second, "the failures are exported", func() bool {
				return metricValue(t, a, "vigil_fleet_query_failures_total", `reason="`+ft.reason+`"`) >= before+5
			})
		})
		t.Run(ft.name+": the fleet scope answers again once Prometheus does", func(t *testing.T) {
			if ft.reason == "unreachable" {
				f.prom.Restart()
			}
			f.proxy.Set(vigiltest.Fault{})
			f.scraped()
			var s reporting.RequestSummary
			getJSON(t, a, "/api/metrics/requests?minutes=5", &s)
			assert.Equal(t, reporting.ScopeFleet, s.Scope)
			assert.Equal(t, int64(total), usersRow(t, s.Routes).Requests, "the TSDB kept the counts")
			c, _ := health(t, a)
			assert.Equal(t, server.StatusPass, c.Status, c.Output)
		})
	}
}
