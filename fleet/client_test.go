package fleet_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/internal/vigiltest"
)

// target serves a counter with an exemplar in OpenMetrics, as Vigil's
// /metrics does, for Prometheus to scrape.
func target(t *testing.T) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_requests_total", Help: "Requests."})
	reg.MustRegister(c)
	c.(prometheus.ExemplarAdder).AddWithExemplar(3, prometheus.Labels{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// newClient returns a client of url recording into a manual reader.
func newClient(t *testing.T, cfg fleet.PrometheusConfig) (*fleet.Client, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c, err := fleet.NewClient(cfg, fleet.Deps{MeterProvider: mp})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, r
}

// failures reads vigil.fleet.query.failures by reason.
func failures(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(t.Context(), &rm))
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != fleet.MetricQueryFailures {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v, _ := dp.Attributes.Value(attribute.Key(fleet.AttrReason))
				out[v.AsString()] += dp.Value
			}
		}
	}
	return out
}

func reasonOf(t *testing.T, err error) fleet.Reason {
	t.Helper()
	require.Error(t, err)
	var qe *fleet.QueryError
	require.ErrorAs(t, err, &qe)
	assert.NotContains(t, err.Error(), "/api/v1/", "the message carries no URL")
	return qe.Reason
}

func TestClientAgainstPrometheus(t *testing.T) {
	prom := vigiltest.StartPrometheus(t, vigiltest.PrometheusOptions{Targets: []string{target(t)}})
	prom.WaitScraped("vigil", 1, 30*time.Second)
	ms, err := fleet.ParseMatchers(`{job="vigil"}`)
	require.NoError(t, err)
	c, reader := newClient(t, fleet.PrometheusConfig{URL: prom.URL, Timeout: fleet.Duration(5 * time.Second), MaxSeries: 5, ExtraMatchers: ms})
	ctx := t.Context()

	t.Run("an instant query returns the vector, with the extra matchers selecting the job", func(t *testing.T) {
		v, err := c.Query(ctx, "up{"+strings.Join(c.Matchers(), ",")+"}", time.Now())
		require.NoError(t, err)
		require.Len(t, v, 1)
		assert.Equal(t, "vigil", string(v[0].Metric["job"]))
		assert.Equal(t, 1.0, float64(v[0].Value))
	})
	t.Run("a scalar is one sample without labels", func(t *testing.T) {
		v, err := c.Query(ctx, "1 + 1", time.Time{})
		require.NoError(t, err)
		require.Len(t, v, 1)
		assert.Empty(t, v[0].Metric)
		assert.Equal(t, 2.0, float64(v[0].Value))
	})
	t.Run("a range query returns the matrix", func(t *testing.T) {
		now := time.Now()
		m, err := c.QueryRange(ctx, `demo_requests_total{job="vigil"}`, v1.Range{Start: now.Add(-3 * time.Second), End: now, Step: time.Second})
		require.NoError(t, err)
		require.Len(t, m, 1)
		require.NotEmpty(t, m[0].Values)
		assert.Equal(t, 3.0, float64(m[0].Values[len(m[0].Values)-1].Value))
	})
	t.Run("exemplars carry the trace ID", func(t *testing.T) {
		now := time.Now()
		ex, err := c.QueryExemplars(ctx, `demo_requests_total{job="vigil"}`, now.Add(-time.Minute), now)
		require.NoError(t, err)
		require.Len(t, ex, 1)
		require.NotEmpty(t, ex[0].Exemplars)
		assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", string(ex[0].Exemplars[0].Labels["trace_id"]))
	})
	t.Run("Exemplars flattens them, newest first, one per trace", func(t *testing.T) {
		now := time.Now()
		ex, err := c.Exemplars(ctx, `demo_requests_total{job="vigil"}`, now.Add(-time.Minute), now, 5)
		require.NoError(t, err)
		require.Len(t, ex, 1)
		assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", ex[0].TraceID)
		assert.Equal(t, "demo_requests_total", ex[0].Series["__name__"])
		assert.Equal(t, 3.0, ex[0].Value)
		assert.WithinDuration(t, now, ex[0].Time, time.Minute)
	})
	t.Run("a query Prometheus rejects is an error_response with its message", func(t *testing.T) {
		_, err := c.Query(ctx, "sum(", time.Time{})
		assert.Equal(t, fleet.ReasonErrorResponse, reasonOf(t, err))
		assert.Contains(t, err.Error(), "parse error")
	})
	t.Run("a string result is a bad_response", func(t *testing.T) {
		_, err := c.Query(ctx, `"text"`, time.Time{})
		assert.Equal(t, fleet.ReasonBadResponse, reasonOf(t, err))
		assert.Contains(t, err.Error(), "string")
	})
	t.Run("more series than max_series is an error", func(t *testing.T) {
		small, _ := newClient(t, fleet.PrometheusConfig{URL: prom.URL, Timeout: fleet.Duration(5 * time.Second), MaxSeries: 1})
		_, err := small.Query(ctx, `{job="vigil"}`, time.Time{}) // up, demo_requests_total, scrape_*
		assert.Equal(t, fleet.ReasonTooManySeries, reasonOf(t, err))
		assert.Regexp(t, `^prometheus too_many_series: \d+ series, more than max_series 1$`, err.Error())
	})
	t.Run("a dead Prometheus is unreachable, health warns, and both recover after a restart", func(t *testing.T) {
		_, err := c.Query(ctx, "vector(1)", time.Time{})
		require.NoError(t, err)
		assert.True(t, c.Health(ctx).OK, "health passes while queries succeed")
		prom.Kill()
		_, err = c.Query(ctx, "up", time.Time{})
		assert.Equal(t, fleet.ReasonUnreachable, reasonOf(t, err))
		h := c.Health(ctx)
		assert.False(t, h.OK)
		assert.Contains(t, h.Detail, "failed: prometheus unreachable: ")
		prom.Restart()
		_, err = c.Query(ctx, "up", time.Time{})
		require.NoError(t, err)
		assert.True(t, c.Health(ctx).OK)
	})
	t.Run("each failure is counted by reason", func(t *testing.T) {
		got := failures(t, reader)
		assert.Equal(t, map[string]int64{"error_response": 1, "bad_response": 1, "unreachable": 1}, got)
	})
}

func TestClientFaults(t *testing.T) {
	prom := vigiltest.StartPrometheus(t, vigiltest.PrometheusOptions{})
	proxy := vigiltest.NewFaultProxy(t, prom.URL)
	c, reader := newClient(t, fleet.PrometheusConfig{URL: proxy.URL, Timeout: fleet.Duration(300 * time.Millisecond), MaxSeries: 1})
	tests := []struct {
		name   string
		fault  vigiltest.Fault
		reason fleet.Reason
		msg    string
	}{
		{"an answer later than the timeout is a timeout", vigiltest.Fault{Delay: 5 * time.Second}, fleet.ReasonTimeout,
			"prometheus timeout: no answer within 300ms"},
		{"an HTTP error from a proxy is an error_response", vigiltest.Fault{Status: 502, Body: "bad gateway"}, fleet.ReasonErrorResponse,
			"prometheus error_response: server error: 502: bad gateway"},
		{"Prometheus' own error answer is an error_response with its message", vigiltest.Fault{Status: 422,
			Body: `{"status":"error","errorType":"execution","error":"query processing would load too many samples"}`}, fleet.ReasonErrorResponse,
			"prometheus error_response: query processing would load too many samples"},
		{"a body that is no API response is a bad_response", vigiltest.Fault{Status: 200, Body: "<html>login</html>"}, fleet.ReasonBadResponse, ""},
		{"a body past the cap is too_many_series", vigiltest.Fault{Status: 200,
			Body: `{"status":"success","data":{"resultType":"vector","result":[` + strings.Repeat(`{"metric":{},"value":[1,"1"]},`, 60000) + `]}}`},
			fleet.ReasonTooManySeries, "prometheus too_many_series: response larger than 1052672 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy.Set(tt.fault)
			t.Cleanup(func() { proxy.Set(vigiltest.Fault{}) })
			_, err := c.Query(t.Context(), "vector(1)", time.Time{})
			assert.Equal(t, tt.reason, reasonOf(t, err))
			if tt.msg != "" {
				assert.Equal(t, tt.msg, err.Error())
			}
			h := c.Health(t.Context())
			assert.False(t, h.OK, "health warns after a failed query")
			assert.Contains(t, h.Detail, string(tt.reason))
		})
	}
	t.Run("queries succeed again once the fault is gone", func(t *testing.T) {
		v, err := c.Query(t.Context(), "vector(1)", time.Time{})
		require.NoError(t, err)
		require.Len(t, v, 1)
		assert.True(t, c.Health(t.Context()).OK)
	})
	t.Run("the failures are counted by reason", func(t *testing.T) {
		assert.Equal(t, map[string]int64{"timeout": 1, "error_response": 2, "bad_response": 1, "too_many_series": 1}, failures(t, reader))
	})
	t.Run("a cancelled caller is no failure of Prometheus", func(t *testing.T) {
		proxy.Set(vigiltest.Fault{Delay: 5 * time.Second})
		t.Cleanup(func() { proxy.Set(vigiltest.Fault{}) })
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Query(ctx, "vector(1)", time.Time{})
		require.Error(t, err)
		assert.Equal(t, fleet.Reason(""), fleet.ReasonOf(err))
		assert.Equal(t, map[string]int64{"timeout": 1, "error_response": 2, "bad_response": 1, "too_many_series": 1}, failures(t, reader))
	})
}

// vectorAnswer is a valid one-sample answer of /api/v1/query.
const vectorAnswer = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1700000000,"7"]}]}}`

func TestClientCredentialsAndTLS(t *testing.T) {
	var got []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(vectorAnswer))
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	parse := func(t *testing.T, yaml string, env ...string) fleet.PrometheusConfig {
		t.Helper()
		cfg, err := fleet.ParseConfig([]byte(yaml), func(k string) (string, bool) {
			for i := 0; i+1 < len(env); i += 2 {
				if env[i] == k {
					return env[i+1], true
				}
			}
			return "", false
		})
		require.NoError(t, err)
		return cfg.Prometheus
	}
	tests := []struct {
		name     string
		cfg      fleet.PrometheusConfig
		wantAuth string
		reason   fleet.Reason
	}{
		{"a bearer token from the environment is sent, the CA file trusted",
			parse(t, "prometheus: {url: "+srv.URL+", bearer_token_env: TOK, tls_config: {ca_file: "+ca+"}}", "TOK", "s3cret"),
			"Bearer s3cret", ""},
		{"basic auth is sent",
			parse(t, "prometheus: {url: "+srv.URL+", basic_auth: {username: ana, password_env: PW}, tls_config: {ca_file: "+ca+"}}", "PW", "pw"),
			"Basic YW5hOnB3", ""},
		{"insecure_skip_verify accepts an unknown certificate",
			parse(t, "prometheus: {url: "+srv.URL+", tls_config: {insecure_skip_verify: true}}"), "", ""},
		{"an unknown certificate is refused without the CA",
			parse(t, "prometheus: {url: "+srv.URL+"}"), "", fleet.ReasonUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			c, _ := newClient(t, tt.cfg)
			v, err := c.Query(t.Context(), "x", time.Time{})
			if tt.reason != "" {
				assert.Equal(t, tt.reason, reasonOf(t, err))
				assert.Contains(t, err.Error(), "certificate")
				return
			}
			require.NoError(t, err)
			require.Len(t, v, 1)
			assert.Equal(t, []string{tt.wantAuth}, got)
			assert.NotContains(t, tt.cfg.URL, "s3cret")
		})
	}
}

func TestHealthProbeCutShort(t *testing.T) {
	prom := vigiltest.StartPrometheus(t, vigiltest.PrometheusOptions{})
	proxy := vigiltest.NewFaultProxy(t, prom.URL)
	c, _ := newClient(t, fleet.PrometheusConfig{URL: proxy.URL, Timeout: fleet.Duration(5 * time.Second), MaxSeries: 10})
	proxy.Set(vigiltest.Fault{Delay: 3 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	h := c.Health(ctx)
	assert.False(t, h.OK, "a probe the health check gave up on is no pass")
	assert.Contains(t, h.Detail, "probe unanswered")
	proxy.Set(vigiltest.Fault{})
	assert.True(t, c.Health(t.Context()).OK)
}
