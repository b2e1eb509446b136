package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/server"
)

const (
	repAliceKey  = "alice-key-0123456789abcdef"
	repBobKey    = "bob-key-0123456789abcdef"
	repViewerKey = "viewer-key-0123456789abcdef"
)

func repConfig(t *testing.T) string {
	t.Helper()
	cfg := `
alerting:
  evaluation_interval: 1s
auth:
  keys:
    - {name: alice, role: client, key_env: REP_ALICE_KEY}
    - {name: bob, role: client, key_env: REP_BOB_KEY}
    - {name: viewer, role: viewer, key_env: REP_VIEWER_KEY}
ratelimit:
  limits:
    - {route: /api/public, requests: 3, per: 1h}
slos:
  - {name: users, route: "/api/users/:id", objective: 0.9, window: 30d, latency_threshold: 300ms}
usage:
  retention: 30d
`
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

func repEnv() []string {
	return []string{"VIGIL_DEMO_FAULTS=1", "REP_ALICE_KEY=" + repAliceKey, "REP_BOB_KEY=" + repBobKey, "REP_VIEWER_KEY=" + repViewerKey}
}

// getJSON fetches path as the viewer and decodes a 200 body into v.
func getJSON(t *testing.T, p *vigiltest.Proc, path string, v any) {
	t.Helper()
	resp, body := p.Do(http.MethodGet, path, repViewerKey, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "%s: %s", path, body)
}

func findRoute(rs []reporting.RouteRequests, route, method string) (reporting.RouteRequests, bool) {
	for _, r := range rs {
		if r.Route == route && r.Method == method {
			return r, true
		}
	}
	return reporting.RouteRequests{}, false
}

// TestReportingEndToEnd sends a known mix of traffic to the real binary
// and checks every reporting route against it, then restarts the server on
// the same data directory and finds the hourly usage still there.
func TestReportingEndToEnd(t *testing.T) {
	dataDir := t.TempDir()
	cfgPath := repConfig(t)
	p := startVigil(t, dataDir, repEnv(), "--config", cfgPath)

	// The mix, on /api/users/:id: alice 6 fast and 4 delayed by 400 ms
	// (bucket (0.25, 0.5]), bob 2 injected 500s; anonymous 5 × /api/public
	// with a limit of 3 (2 × 429); alice 2 × /api/chat.
	for range 6 {
		resp, _ := p.Do(http.MethodGet, "/api/users/1", repAliceKey, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	for range 4 {
		resp, _ := p.Do(http.MethodGet, "/api/users/2", repAliceKey, nil, server.HeaderDemoDelay, "400ms")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	for range 2 {
		resp, _ := p.Do(http.MethodGet, "/api/users/3", repBobKey, nil, server.HeaderDemoFault, "error")
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	}
	statuses := map[int]int{}
	for range 5 {
		resp, _ := p.Do(http.MethodGet, "/api/public", "", nil)
		statuses[resp.StatusCode]++
	}
	require.Equal(t, map[int]int{200: 3, 429: 2}, statuses)
	var tokens int64
	for _, msg := range []string{"what is gradient descent", "explain attention in transformers please"} {
		resp, body := p.Do(http.MethodPost, "/api/chat", repAliceKey, map[string]string{"message": msg})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var cr server.ChatResponse
		require.NoError(t, json.Unmarshal(body, &cr))
		tokens += int64(cr.Usage.PromptTokens + cr.Usage.CompletionTokens)
	}
	require.Positive(t, tokens)

	// Series see the traffic once the step holding it has ended.
	var reqs reporting.RequestSummary
	deadline := time.Now().Add(40 * time.Second)
	for {
		getJSON(t, p, "/api/metrics/requests?minutes=10", &reqs)
		users, _ := findRoute(reqs.Routes, "/api/users/:id", http.MethodGet)
		chat, _ := findRoute(reqs.Routes, "/api/chat", http.MethodPost)
		public, _ := findRoute(reqs.Routes, "/api/public", http.MethodGet)
		if users.Requests == 12 && chat.Requests == 2 && public.Requests == 5 {
			break
		}
		require.True(t, time.Now().Before(deadline), "series never saw the traffic: %+v", reqs)
		time.Sleep(500 * time.Millisecond) // waiting for another process, not for logic
	}

	t.Run("requests are counted exactly by route and method", func(t *testing.T) {
		users, ok := findRoute(reqs.Routes, "/api/users/:id", http.MethodGet)
		require.True(t, ok)
		assert.Equal(t, int64(2), users.Errors)
		assert.InDelta(t, 2.0/12, users.ErrorRate, 1e-9)
		assert.InDelta(t, 12.0/600, users.ThroughputRPS, 1e-9)
		public, _ := findRoute(reqs.Routes, "/api/public", http.MethodGet)
		assert.Equal(t, int64(0), public.Errors, "429 is not a server error")
		assert.Equal(t, 10, reqs.WindowMinutes)
	})

	t.Run("quantiles land in the right bucket", func(t *testing.T) {
		var perf reporting.PerformanceSummary
		getJSON(t, p, "/api/metrics/performance?minutes=10", &perf)
		var users *reporting.RouteLatency
		for i := range perf.Routes {
			if perf.Routes[i].Route == "/api/users/:id" {
				users = &perf.Routes[i]
			}
		}
		require.NotNil(t, users)
		assert.Equal(t, int64(12), users.Requests)
		assert.Equal(t, int64(2), users.Errors)
		// Ranks 9..12 of 12 are the 400 ms requests: p95 (rank 11.4) and
		// p99 (11.88) interpolate inside (250, 500]; p50 (rank 6) is fast.
		require.NotNil(t, users.P95Ms)
		assert.Greater(t, *users.P95Ms, 250.0)
		assert.LessOrEqual(t, *users.P95Ms, 500.0)
		// Both may be clamped to the slowest request (the maximum).
		assert.GreaterOrEqual(t, *users.P99Ms, *users.P95Ms)
		assert.LessOrEqual(t, *users.P99Ms, *users.MaxMs)
		assert.LessOrEqual(t, *users.P99Ms, 500.0)
		assert.LessOrEqual(t, *users.P50Ms, 250.0)
		assert.GreaterOrEqual(t, *users.MaxMs, 400.0)
		assert.Greater(t, *users.MeanMs, 4*400.0/12)
		assert.GreaterOrEqual(t, perf.Overall.Requests, int64(19))
	})

	t.Run("usage is exact per client, endpoint and token", func(t *testing.T) {
		var u reporting.UsageReport
		getJSON(t, p, "/api/usage?minutes=10&client=alice", &u)
		assert.Equal(t, reporting.ResolutionMinute, u.Resolution)
		assert.Equal(t, reporting.SourceMemory, u.Source)
		assert.Equal(t, reporting.Counts{Requests: 12, Tokens: tokens}, u.Totals)
		require.Len(t, u.Clients, 1)
		assert.Equal(t, "alice", u.Clients[0].Client)
		require.NotNil(t, u.Peak)
		assert.LessOrEqual(t, u.Peak.Requests, int64(12))
		assert.GreaterOrEqual(t, u.Peak.Requests, int64(6))

		getJSON(t, p, "/api/usage?minutes=10&client=bob", &u)
		assert.Equal(t, reporting.Counts{Requests: 2, Errors: 2}, u.Totals)
		getJSON(t, p, "/api/usage?minutes=10&client=anonymous", &u)
		assert.Equal(t, reporting.Counts{Requests: 5, RateLimited: 2}, publicUsage(u))
	})

	var errTraceID string
	t.Run("recent errors carry trace IDs", func(t *testing.T) {
		var tl reporting.TraceList
		deadline := time.Now().Add(20 * time.Second)
		for {
			getJSON(t, p, "/api/traces?kind=error&route=/api/users/:id&limit=10", &tl)
			if tl.Count == 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond) // span batches reach the series asynchronously
		}
		require.Equal(t, 2, tl.Count)
		for _, tr := range tl.Traces {
			assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), tr.TraceID)
			assert.Equal(t, http.StatusInternalServerError, tr.Status)
			assert.Equal(t, "/api/users/:id", tr.Route)
		}
		errTraceID = tl.Traces[0].TraceID
		getJSON(t, p, "/api/traces?kind=error&limit=1", &tl)
		assert.Len(t, tl.Traces, 1)
	})

	t.Run("the OTLP export holds the failing span", func(t *testing.T) {
		resp, body := p.Do(http.MethodGet, "/api/traces/export?minutes=10", repViewerKey, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		req, err := exporter.ParseOTLPJSON(body)
		require.NoError(t, err)
		found := false
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					if fmt.Sprintf("%x", sp.GetTraceId()) == errTraceID {
						found = true
					}
				}
			}
		}
		assert.True(t, found, "trace %s not in the export", errTraceID)
	})

	t.Run("SLO status from the rollups and the histogram", func(t *testing.T) {
		var rep reporting.SLOReport
		getJSON(t, p, "/api/slos", &rep)
		require.Len(t, rep.SLOs, 1)
		s := rep.SLOs[0]
		assert.Equal(t, int64(12), s.Availability.Total)
		assert.Equal(t, int64(10), s.Availability.Good)
		require.NotNil(t, s.ErrorBudgetRemaining)
		assert.InDelta(t, 1-(2.0/12)/0.1, *s.ErrorBudgetRemaining, 1e-9)
		require.NotNil(t, s.BurnRate1h)
		assert.InDelta(t, (2.0/12)/0.1, *s.BurnRate1h, 1e-9)
		require.NotNil(t, s.Latency)
		assert.Equal(t, int64(12), s.Latency.Total)
		assert.Equal(t, int64(8), s.Latency.Good)
		require.NotNil(t, s.EffectiveThresholdMs)
		assert.InDelta(t, 250.0, *s.EffectiveThresholdMs, 1e-9)
		assert.Equal(t, reporting.SLOExhausted, s.Status)

		resp, body := p.Do(http.MethodGet, "/metrics", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, string(body), `vigil_slo_error_budget_remaining_ratio{`)
		assert.Contains(t, string(body), `slo="users"`)
	})

	t.Run("the CSV report parses back with encoding/csv", func(t *testing.T) {
		resp, body := p.Do(http.MethodGet, "/api/reports?minutes=10&format=csv", repViewerKey, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, reporting.ContentTypeCSV, resp.Header.Get("Content-Type"))
		assert.Regexp(t, `^attachment; filename="vigil-report-\d{8}T\d{6}Z\.csv"$`, resp.Header.Get("Content-Disposition"))
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		require.NoError(t, err)
		require.Equal(t, reporting.CSVHeader, rows[0])
		val := func(section, id, route, method, field string) string {
			for _, r := range rows[1:] {
				if r[0] == section && r[1] == id && r[2] == route && r[3] == method && r[4] == field {
					return r[5]
				}
			}
			return "<missing>"
		}
		assert.Equal(t, "12", val("endpoint", "", "/api/users/:id", "GET", "requests"))
		assert.Equal(t, "2", val("endpoint", "", "/api/users/:id", "GET", "errors"))
		assert.Equal(t, "12", val("usage", "alice", "", "", "requests"))
		assert.Equal(t, strconv.FormatInt(tokens, 10), val("usage", "alice", "", "", "tokens"))
		assert.Equal(t, "2", val("usage_endpoint", "anonymous", "/api/public", "GET", "rate_limited"))
		assert.Equal(t, "500", val("error", errTraceID, "/api/users/:id", "GET", "status"))
		assert.Equal(t, reporting.SLOExhausted, val("slo", "users", "/api/users/:id", "", "status"))
	})

	t.Run("the JSON and Markdown reports", func(t *testing.T) {
		var rep reporting.Report
		getJSON(t, p, "/api/reports?minutes=10", &rep)
		assert.Equal(t, 10, rep.WindowMinutes)
		assert.NotEmpty(t, rep.TopErrors)
		require.Len(t, rep.SLOs, 1)
		resp, body := p.Do(http.MethodGet, "/api/reports?minutes=10&format=markdown", repViewerKey, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, reporting.ContentTypeMarkdown, resp.Header.Get("Content-Type"))
		assert.Contains(t, resp.Header.Get("Content-Disposition"), `.md"`)
		md := string(body)
		assert.Contains(t, md, "# Vigil report")
		assert.Contains(t, md, "| `GET /api/users/:id` | 12 | 2 |")
		assert.Contains(t, md, "| alice | 12 | 0 | 0 | "+strconv.FormatInt(tokens, 10)+" |")
		assert.Contains(t, md, errTraceID)
	})

	t.Run("system series have time-stamped points", func(t *testing.T) {
		var sys reporting.SystemSummary
		getJSON(t, p, "/api/metrics/system?last_hours=1", &sys)
		assert.Equal(t, 10.0, sys.StepSeconds)
		names := map[string]reporting.SystemSeries{}
		for _, s := range sys.Series {
			names[s.Name] = s
			assert.LessOrEqual(t, len(s.Points), 360)
		}
		for _, n := range []string{"cpu", "memory", "system_memory", "disk", "network_receive", "network_transmit", "goroutines"} {
			require.Contains(t, names, n)
		}
		require.NotNil(t, names["memory"].Current)
		assert.Greater(t, *names["memory"].Current, 1e6)
		assert.NotEmpty(t, names["goroutines"].Points)
		assert.NotNil(t, names["system_memory"].Current)
	})

	t.Run("vigil report writes the CSV atomically", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "report.csv")
		var stdout, stderr bytes.Buffer
		code := reporting.Main(context.Background(), []string{"--url", p.URL, "--minutes", "10", "--format", "csv",
			"--output", out, "--token", repViewerKey}, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		require.NoError(t, err)
		assert.Equal(t, reporting.CSVHeader, rows[0])
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp*"))
		assert.Empty(t, matches, "no temporary file is left")

		stderr.Reset()
		code = reporting.Main(context.Background(), []string{"--url", p.URL, "--token", "wrong"}, &stdout, &stderr)
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr.String(), "401")
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"))
	})

	t.Run("parameters are validated", func(t *testing.T) {
		tests := []struct {
			name, path, param string
		}{
			{"minutes zero", "/api/metrics/requests?minutes=0", "minutes"},
			{"minutes beyond a day", "/api/metrics/performance?minutes=1441", "minutes"},
			{"minutes not a number", "/api/reports?minutes=ten", "minutes"},
			{"unknown format", "/api/reports?format=xml", "format"},
			{"last_hours beyond 24", "/api/metrics/system?last_hours=25", "last_hours"},
			{"last_hours zero", "/api/metrics/system?last_hours=0", "last_hours"},
			{"unknown trace kind", "/api/traces?kind=weird", "kind"},
			{"route not a template", "/api/traces?route=users", "route"},
			{"limit too large", "/api/traces?limit=100000", "limit"},
			{"usage window beyond 30 days", "/api/usage?minutes=43201", "minutes"},
			{"export window negative", "/api/traces/export?minutes=-5", "minutes"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := p.Do(http.MethodGet, tt.path, repViewerKey, nil)
				require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
				assert.Equal(t, server.ContentTypeProblem, resp.Header.Get("Content-Type"))
				var prob server.Problem
				require.NoError(t, json.Unmarshal(body, &prob))
				assert.Contains(t, prob.Detail, `"`+tt.param+`"`)
			})
		}
		resp, _ := p.Do(http.MethodGet, "/api/usage", "", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the routes need the viewer role")
		resp, _ = p.Do(http.MethodGet, "/api/reports", repAliceKey, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a client key is not a viewer")
	})

	// Restart on the same data directory: the minute rollups flushed on
	// shutdown answer the usage query, minute by minute.
	require.NoError(t, p.Stop())
	p2 := startVigil(t, dataDir, repEnv(), "--config", cfgPath)
	var u reporting.UsageReport
	getJSON(t, p2, "/api/usage?minutes=60&client=alice", &u)
	assert.Equal(t, reporting.ResolutionMinute, u.Resolution)
	assert.Equal(t, reporting.SourceStore, u.Source)
	// 12 requests, plus the refused (403) report request of the validation test.
	assert.Equal(t, reporting.Counts{Requests: 13, Tokens: tokens}, u.Totals)
	getJSON(t, p2, "/api/usage?minutes=60&client=anonymous", &u)
	assert.Equal(t, reporting.Counts{Requests: 5, RateLimited: 2}, publicUsage(u))
	var slos reporting.SLOReport
	getJSON(t, p2, "/api/slos", &slos)
	require.Len(t, slos.SLOs, 1)
	assert.Equal(t, int64(12), slos.SLOs[0].Availability.Total, "30-day availability survives the restart")
}

// publicUsage picks /api/public out of a usage report (the readiness polls of
// startVigil are anonymous too).
func publicUsage(u reporting.UsageReport) reporting.Counts {
	for _, e := range u.Endpoints {
		if e.Route == "/api/public" && e.Method == http.MethodGet {
			return e.Counts
		}
	}
	return reporting.Counts{}
}

func TestReportingConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, stderr string
	}{
		{"an objective of 1 is refused", "slos:\n  - {name: a, route: /api/chat, objective: 1}\n", "objective"},
		{"an unknown SLO key is refused", "slos:\n  - {name: a, route: /api/chat, objective: 0.9, target: 3}\n", "target"},
		{"a window beyond the retention is refused", "usage: {retention: 7d}\nslos:\n  - {name: a, route: /api/chat, objective: 0.9, window: 30d}\n", "window"},
		{"a bad retention is refused", "usage: {retention: 5m}\n", "retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.yaml), 0o600))
			code, _, stderr := runCLI(t, "serve", "--config", path, "--data-dir", t.TempDir())
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)
		})
	}
}
