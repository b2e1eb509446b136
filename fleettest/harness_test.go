package fleettest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store/storetest"
)

const (
	adminToken = "fleettest-admin-token-0123456789"
	// interval is the evaluation interval and the scrape interval.
	interval = time.Second
	// queryTimeout is fleet.prometheus.timeout of the replicas.
	queryTimeout = 2 * time.Second
	// usersRoute is the route the tests send requests to.
	usersRoute = "/api/users/:id"
)

// fleetConfig is the replicas' configuration: fleet mode through the
// proxy, with the extra matcher of the scrape job.
func fleetConfig(t testing.TB, promURL, hookURL string, window time.Duration) string {
	t.Helper()
	cfg := fmt.Sprintf(`alerting:
  evaluation_interval: %s
  rules:
    - name: HighErrorRate
      kind: error_ratio
      route: %s
      window: %s
      threshold: 0.2
      for: 0s
      severity: critical
  receivers:
    - name: ops
      webhook: {url: %q}
  route:
    receiver: ops
    group_by: [alertname, route]
    group_wait: 0s
    group_interval: 1s
    repeat_interval: 1h
fleet:
  prometheus:
    url: %s
    timeout: %s
    extra_matchers: '{job="vigil"}'
slos:
  - {name: users, route: %q, objective: 0.9}
`, interval, usersRoute, window, hookURL, promURL, queryTimeout, usersRoute)
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// fleet is one test's processes: Prometheus, the proxy the replicas
// query it through, and the replicas.
type fleet struct {
	t        testing.TB
	prom     *vigiltest.Prometheus
	proxy    *vigiltest.FaultProxy
	hooks    *vigiltest.HookReceiver
	replicas []*vigiltest.Proc
	dsn      string
	cfgPath  string // the replicas' configuration file
}

// options shape a fleet beyond its replica count.
type options struct {
	// ruleFiles and alertmanagers are Prometheus' (absolute paths; host:port).
	ruleFiles     []string
	alertmanagers []string
	// window is the rule's window. Default 10s.
	window time.Duration
}

// startFleet starts n replicas on a fresh PostgreSQL schema, then
// Prometheus scraping them every second, and waits until every replica
// has been scraped.
func startFleet(t testing.TB, n int) *fleet {
	t.Helper()
	return startFleetWith(t, n, options{})
}

func startFleetWith(t testing.TB, n int, o options) *fleet {
	t.Helper()
	if o.window == 0 {
		o.window = 10 * time.Second
	}
	dsn := storetest.PostgresDSN(t)
	promAddr := vigiltest.FreeAddr(t)
	f := &fleet{t: t, dsn: dsn, proxy: vigiltest.NewFaultProxy(t, "http://"+promAddr)}
	var hookURL string
	f.hooks, hookURL = vigiltest.NewHookReceiver(t)
	cfg := fleetConfig(t, f.proxy.URL, hookURL, o.window)
	f.cfgPath = cfg
	var targets []string
	for i := range n {
		p := vigiltest.Launch(t, vigilBin, vigiltest.Options{
			Name: fmt.Sprintf("replica %d", i),
			Args: []string{"--config", cfg, "--store", dsn},
			Env:  []string{"VIGIL_DEMO_FAULTS=1", "VIGIL_ADMIN_TOKEN=" + adminToken, "VIGIL_LOG_LEVEL=info"},
		})
		f.replicas = append(f.replicas, p)
		targets = append(targets, strings.TrimPrefix(p.URL, "http://"))
	}
	for _, p := range f.replicas {
		p.WaitReady()
	}
	f.prom = vigiltest.StartPrometheus(t, vigiltest.PrometheusOptions{Addr: promAddr, Targets: targets, ScrapeInterval: interval,
		RuleFiles: o.ruleFiles, Alertmanagers: o.alertmanagers})
	f.scraped()
	return f
}

// scraped waits until Prometheus scraped every replica after the call:
// what they counted before is in Prometheus afterwards.
func (f *fleet) scraped() {
	f.t.Helper()
	f.prom.WaitScraped("vigil", len(f.replicas), 30*time.Second)
}

// send sends n GET /api/users/:id to p, failing with 500 when fail is set.
func send(t testing.TB, p *vigiltest.Proc, n int, fail bool) {
	t.Helper()
	for i := range n {
		var hdr []string
		want := http.StatusOK
		if fail {
			hdr, want = []string{"X-Demo-Fault", "error"}, http.StatusInternalServerError
		}
		resp, body := p.Do(http.MethodGet, fmt.Sprintf("/api/users/%d", i%7+1), "", nil, hdr...)
		require.Equal(t, want, resp.StatusCode, "%s", body)
	}
}

// sendTraced sends one failing request to p in a sampled trace (an
// incoming traceparent), so its observation carries the trace as exemplar.
func sendTraced(t testing.TB, p *vigiltest.Proc, traceID string) {
	t.Helper()
	resp, body := p.Do(http.MethodGet, "/api/users/3", "", nil,
		"X-Demo-Fault", "error", "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%s", body)
	require.Equal(t, traceID, resp.Header.Get("X-Trace-Id"))
}

// get GETs path as admin and returns the status and body.
func get(t testing.TB, p *vigiltest.Proc, path string) (int, []byte) {
	t.Helper()
	resp, body := p.Do(http.MethodGet, path, adminToken, nil)
	return resp.StatusCode, body
}

// getJSON GETs path and decodes a 200 answer into v, strictly.
func getJSON(t testing.TB, p *vigiltest.Proc, path string, v any) {
	t.Helper()
	code, body := get(t, p, path)
	require.Equal(t, http.StatusOK, code, "GET %s: %s", path, body)
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "GET %s: %s", path, body)
}

// problem GETs path expecting status and returns the problem details.
func problem(t testing.TB, p *vigiltest.Proc, path string, status int) server.Problem {
	t.Helper()
	code, body := get(t, p, path)
	require.Equal(t, status, code, "GET %s: %s", path, body)
	var pr server.Problem
	require.NoError(t, json.Unmarshal(body, &pr), "GET %s: %s", path, body)
	return pr
}

// health returns /api/health's fleet:prometheus component and the
// overall status.
func health(t testing.TB, p *vigiltest.Proc) (server.HealthComponent, string) {
	t.Helper()
	_, body := get(t, p, "/api/health")
	var h server.HealthResponse
	require.NoError(t, json.Unmarshal(body, &h), "%s", body)
	cs := h.Checks["fleet:prometheus"]
	require.Len(t, cs, 1, "fleet:prometheus in %s", body)
	return cs[0], h.Status
}

// streamMessage reads the stream until a message of type typ arrives.
func streamMessage(t testing.TB, p *vigiltest.Proc, typ string) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.URL, "http")+"/ws/metrics",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + adminToken}}})
	require.NoError(t, err)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	defer func() { _ = conn.CloseNow() }()
	for {
		var m struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		require.NoError(t, wsjson.Read(ctx, conn, &m))
		if m.Type == typ {
			_ = conn.Close(websocket.StatusNormalClosure, "done")
			return m.Data
		}
	}
}

// metricValue sums the samples of a metric family on p's /metrics whose
// line contains every one of the label pairs.
func metricValue(t testing.TB, p *vigiltest.Proc, name string, labels ...string) float64 {
	t.Helper()
	_, body := get(t, p, "/metrics")
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		var v float64
		_, err := fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &v)
		require.NoError(t, err, line)
		sum += v
	}
	return sum
}
