package instrumentation_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"net/http/httptest"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/internal/otlptest"
)

// These tests export to an OTLP/HTTP receiver of their own (internal/otlptest);
// stacktest sends the same signals through a real collector.

func TestOTLPMetricsCarryWhatPrometheusServes(t *testing.T) {
	for _, temporality := range []string{"cumulative", "delta"} {
		t.Run("with temporality preference "+temporality, func(t *testing.T) {
			rcv := otlptest.NewReceiver(t)
			t.Setenv("OTEL_METRICS_EXPORTER", "otlp,prometheus")
			t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", rcv.URL+"/v1/metrics")
			t.Setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", temporality)
			t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "3600000") // only the explicit flushes below
			h := newHarness(t)
			if !instrumentation.UsesFastHistograms(h.tel.MeterProvider()) {
				t.Fatal("with Setup's own OTLP reader the middleware must keep its own histograms")
			}
			flush := func() {
				if err := h.tel.MeterProvider().ForceFlush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			for range 5 {
				h.do(t, http.MethodGet, "/api/users/1", nil)
			}
			flush()
			for range 3 {
				h.do(t, http.MethodGet, "/api/users/1", nil)
			}
			flush()

			var total uint64
			var points []*metricspb.HistogramDataPoint
			for _, m := range rcv.MetricsNamed(names.MetricRequestDuration) {
				hist := m.GetHistogram()
				want := metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
				if temporality == "delta" {
					want = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
				}
				if hist.GetAggregationTemporality() != want {
					t.Errorf("temporality %v, want %v", hist.GetAggregationTemporality(), want)
				}
				points = append(points, hist.GetDataPoints()...)
			}
			if len(points) != 2 {
				t.Fatalf("got %d data points of %s over two exports, want 2", len(points), names.MetricRequestDuration)
			}
			switch temporality {
			case "cumulative":
				total = points[1].GetCount()
				if points[0].GetCount() != 5 {
					t.Errorf("first cumulative count %d, want 5", points[0].GetCount())
				}
			case "delta":
				total = points[0].GetCount() + points[1].GetCount()
				if points[1].GetStartTimeUnixNano() != points[0].GetTimeUnixNano() {
					t.Errorf("second delta starts at %d, want the first's end %d", points[1].GetStartTimeUnixNano(), points[0].GetTimeUnixNano())
				}
				if points[1].GetCount() != 3 {
					t.Errorf("second delta count %d, want 3", points[1].GetCount())
				}
			}
			prom := histogramCount(t, h, names.PromRequestDuration)
			if float64(total) != prom || total != 8 {
				t.Errorf("OTLP counted %d requests, /metrics %v, want 8 each", total, prom)
			}
			for _, p := range points {
				if len(p.GetExemplars()) == 0 || len(p.GetExemplars()[0].GetTraceId()) != 16 {
					t.Errorf("data point without a trace exemplar: %v", p.GetExemplars())
				}
			}
			if len(rcv.MetricsNamed(names.MetricResponseBodySize)) == 0 {
				t.Errorf("no %s over OTLP", names.MetricResponseBodySize)
			}
		})
	}
}

func TestLogsCarryTraceContextAndRedaction(t *testing.T) {
	rcv := otlptest.NewReceiver(t)
	t.Setenv("OTEL_LOGS_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", rcv.URL+"/v1/logs")
	t.Setenv("OTEL_BLRP_SCHEDULE_DELAY", "50")
	var stderr syncBuffer
	// Global providers: instrumentation.Logger finds this Telemetry.
	tel, err := instrumentation.Setup(context.Background(),
		instrumentation.WithoutRuntimeMetrics(), instrumentation.WithoutHostMetrics(),
		instrumentation.WithSampler(sdktrace.AlwaysSample()),
		instrumentation.WithLogger(slog.New(slog.NewJSONHandler(&stderr, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	e := newApp(tel.MiddlewareConfig())
	e.GET("/api/log", func(c echo.Context) error {
		// Info without a context: the logger is bound to the request.
		instrumentation.Logger(c.Request().Context()).Info("handled", "password", "hunter2", "detail", "retry with token=abc123")
		return c.NoContent(http.StatusNoContent)
	})
	h := &harness{tel: tel, e: e}
	traceID := h.do(t, http.MethodGet, "/api/log", nil).Header().Get(instrumentation.HeaderTraceID)

	rcv.Wait(t, 10*time.Second, "log record", func(r *otlptest.Receiver) bool {
		for _, lr := range r.LogRecords() {
			if lr.GetBody().GetStringValue() == "handled" {
				return true
			}
		}
		return false
	})
	var spanID string
	for _, lr := range rcv.LogRecords() {
		if lr.GetBody().GetStringValue() != "handled" {
			continue
		}
		if got := hex.EncodeToString(lr.GetTraceId()); got != traceID {
			t.Errorf("OTLP record trace ID %q, want the request's %q", got, traceID)
		}
		spanID = hex.EncodeToString(lr.GetSpanId())
		for _, kv := range lr.GetAttributes() {
			if v := kv.GetValue().GetStringValue(); strings.Contains(v, "hunter2") || strings.Contains(v, "abc123") {
				t.Errorf("OTLP attribute %s = %q carries a secret", kv.GetKey(), v)
			}
		}
	}
	var line struct {
		Msg, TraceID, SpanID, Password, Detail string
	}
	for l := range strings.SplitSeq(stderr.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "handled" {
			b, _ := json.Marshal(map[string]any{"msg": m["msg"], "traceid": m["trace_id"], "spanid": m["span_id"], "password": m["password"], "detail": m["detail"]})
			_ = json.Unmarshal(b, &line)
		}
	}
	if line.TraceID != traceID || line.SpanID == "" || line.SpanID != spanID {
		t.Errorf("stderr record trace_id=%q span_id=%q, want %q and the OTLP record's %q\n%s", line.TraceID, line.SpanID, traceID, spanID, stderr.String())
	}
	if strings.Contains(stderr.String(), "hunter2") || strings.Contains(stderr.String(), "abc123") {
		t.Errorf("stderr carries a secret:\n%s", stderr.String())
	}
}

func TestInvalidOTELValuesFailSetup(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := map[string]struct {
		env     map[string]string
		wantVar string
	}{
		"an unknown traces exporter":              {env: map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"}, wantVar: "OTEL_TRACES_EXPORTER"},
		"prometheus for traces":                   {env: map[string]string{"OTEL_TRACES_EXPORTER": "prometheus"}, wantVar: "OTEL_TRACES_EXPORTER"},
		"none combined with otlp":                 {env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp,none"}, wantVar: "OTEL_METRICS_EXPORTER"},
		"an unknown logs exporter in a list":      {env: map[string]string{"OTEL_LOGS_EXPORTER": "console,file"}, wantVar: "OTEL_LOGS_EXPORTER"},
		"http/json, which Go has no exporter for": {env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, wantVar: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		"a misspelt protocol with no endpoint":    {env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grcp"}, wantVar: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		"a wrong per-signal protocol":             {env: map[string]string{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "udp"}, wantVar: "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"},
		"an unknown sampler":                      {env: map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, wantVar: "OTEL_TRACES_SAMPLER"},
		"a ratio above one":                       {env: map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, wantVar: "OTEL_TRACES_SAMPLER_ARG"},
		"a ratio that is not a number":            {env: map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}, wantVar: "OTEL_TRACES_SAMPLER_ARG"},
		"a header without =": {env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
			"OTEL_EXPORTER_OTLP_HEADERS": "authorization " + secret}, wantVar: "OTEL_EXPORTER_OTLP_HEADERS"},
		"a header value with a bad escape": {env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
			"OTEL_EXPORTER_OTLP_METRICS_HEADERS": "x-api-key=" + secret + "%zz"}, wantVar: "OTEL_EXPORTER_OTLP_METRICS_HEADERS"},
		"a logs header value with a bad escape": {env: map[string]string{"OTEL_LOGS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
			"OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-api-key=" + secret + "%zz"}, wantVar: "OTEL_EXPORTER_OTLP_LOGS_HEADERS"},
		"an endpoint that is not a URL": {env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://[::1:4318"},
			wantVar: "OTEL_EXPORTER_OTLP_ENDPOINT"},
		"a timeout that is not a number": {env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1/v1/traces",
			"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, wantVar: "OTEL_EXPORTER_OTLP_TIMEOUT"},
		"an unknown temporality preference": {env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:1/v1/metrics",
			"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "sometimes"}, wantVar: "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
				instrumentation.WithoutRuntimeMetrics(), instrumentation.WithoutHostMetrics())
			if err == nil {
				_ = tel.Shutdown(context.Background())
				t.Fatal("Setup accepted the value")
			}
			if !errors.Is(err, instrumentation.ErrInvalidEnv) || !errors.Is(err, instrumentation.ErrSetup) {
				t.Errorf("error %q is not ErrInvalidEnv and ErrSetup", err)
			}
			if !strings.Contains(err.Error(), tc.wantVar) {
				t.Errorf("error %q does not name %s", err, tc.wantVar)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q quotes the header value", err)
			}
		})
	}
}

func TestValidOTELValuesAreAccepted(t *testing.T) {
	tests := map[string]map[string]string{
		"every exporter off":          {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"},
		"lists with spaces and case":  {"OTEL_TRACES_EXPORTER": " OTLP , console", "OTEL_METRICS_EXPORTER": "Prometheus,otlp,prometheus", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
		"grpc for one signal":         {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://127.0.0.1:1"},
		"well-formed headers":         {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20x,x-tenant=a"},
		"a sampler with its argument": {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			for k, v := range env {
				t.Setenv(k, v)
			}
			tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
				instrumentation.WithoutRuntimeMetrics(), instrumentation.WithoutHostMetrics())
			if err != nil {
				t.Fatal(err)
			}
			// Shutdown against a closed port: bounded by its context.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = tel.Shutdown(ctx)
		})
	}
}

func TestPrometheusExporterOff(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	h := newHarness(t)
	rec := h.do(t, http.MethodGet, "/api/users/1", nil)
	if rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	if h.tel.MetricsEnabled() {
		t.Error("MetricsEnabled with OTEL_METRICS_EXPORTER=none")
	}
	w := &bytes.Buffer{}
	resp := serve(h.tel.MetricsHandler(), w)
	if resp != http.StatusNotFound || !strings.Contains(w.String(), "OTEL_METRICS_EXPORTER") {
		t.Errorf("/metrics answered %d %q, want 404 naming OTEL_METRICS_EXPORTER", resp, w.String())
	}
	// The engine's view is there either way.
	if _, err := findMetric(h.collect(t), names.MetricRequestDuration); err != nil {
		t.Error(err)
	}
}

func TestFailedExportsAreCounted(t *testing.T) {
	rcv := otlptest.NewReceiver(t)
	rcv.Fail(http.StatusBadRequest) // not retryable: every export fails at once
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp,prometheus")
	t.Setenv("OTEL_LOGS_EXPORTER", "otlp")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "20")
	t.Setenv("OTEL_BLRP_SCHEDULE_DELAY", "20")
	var logs syncBuffer
	h := newHarness(t, instrumentation.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for range 10 {
		h.do(t, http.MethodGet, "/api/users/1", nil)
	}
	h.tel.Logger().Info("a record that cannot be delivered")
	deadline := time.Now().Add(20 * time.Second)
	for _, signal := range []string{"traces", "metrics", "logs"} {
		for {
			if signal == "metrics" {
				_ = h.tel.MeterProvider().ForceFlush(context.Background())
			}
			if droppedCount(t, h, signal) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s drop counted in %s\nlogs:\n%s", signal, names.PromExporterDropped, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !strings.Contains(logs.String(), "telemetry export dropped items") {
		t.Errorf("no log line about the drops:\n%s", logs.String())
	}
}

// histogramCount sums the sample counts of a histogram in /metrics.
func histogramCount(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	mfs, err := h.tel.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return n
}

func serve(handler http.Handler, w *bytes.Buffer) int {
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	w.Write(rec.Body.Bytes())
	return rec.Code
}

func droppedCount(t *testing.T, h *harness, signal string) float64 {
	t.Helper()
	mfs, err := h.tel.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() != names.PromExporterDropped {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "signal" && l.GetValue() == signal {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for the exporters' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
