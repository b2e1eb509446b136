package instrumentation_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vigilhq/vigil/instrumentation"
)

func TestUnknownPathsAddNoSeries(t *testing.T) {
	// Spans are irrelevant here; not recording 100 000 of them keeps the
	// test fast.
	h := newHarness(t, instrumentation.WithSampler(sdktrace.NeverSample()))
	h.do(t, http.MethodGet, "/unknown/first", nil)
	before := seriesCount(t, h)

	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	for i := range n {
		h.do(t, http.MethodGet, fmt.Sprintf("/unknown/%d?q=%d", i, i), http.Header{"Host": {fmt.Sprintf("h%d.example", i)}})
	}
	if after := seriesCount(t, h); after != before {
		t.Fatalf("series count went from %d to %d after %d distinct unknown paths", before, after, n)
	}

	body := scrape(t, h.tel.MetricsHandler(), "")
	if strings.Contains(body, "/unknown/") || strings.Contains(body, "example") {
		t.Error("/metrics contains a raw path or Host value")
	}
}

func seriesCount(t *testing.T, h *harness) int {
	t.Helper()
	mfs, err := h.tel.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	n := 0
	for _, mf := range mfs {
		n += len(mf.GetMetric())
	}
	return n
}

func scrape(t *testing.T, handler http.Handler, accept string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics status %d", rec.Code)
	}
	return rec.Body.String()
}

// fakeClock advances by step on every reading.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func TestMetricsExposition(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0), step: 30 * time.Millisecond}
	defer instrumentation.SetClock(clk.now)()
	h := newHarness(t)
	h.do(t, http.MethodGet, "/api/users/42", nil)

	const scope = `otel_scope_name="github.com/vigilhq/vigil/instrumentation",otel_scope_schema_url="",otel_scope_version=""`
	labels := `http_request_method="GET",http_response_status_code="200",http_route="/api/users/:id",` + scope + `,url_scheme="http"`
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP %s Duration of HTTP server requests.\n# TYPE %s histogram\n", instrumentation.PromRequestDuration, instrumentation.PromRequestDuration)
	for _, le := range []string{"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"} {
		v := 1
		if le == "0.005" || le == "0.01" || le == "0.025" {
			v = 0
		}
		fmt.Fprintf(&b, "%s_bucket{%s,le=\"%s\"} %d\n", instrumentation.PromRequestDuration, labels, le, v)
	}
	fmt.Fprintf(&b, "%s_sum{%s} 0.03\n%s_count{%s} 1\n", instrumentation.PromRequestDuration, labels, instrumentation.PromRequestDuration, labels)

	if err := testutil.GatherAndCompare(h.tel.Registry(), strings.NewReader(b.String()), instrumentation.PromRequestDuration); err != nil {
		t.Fatal(err)
	}
	if n, _ := testutil.GatherAndCount(h.tel.Registry(), instrumentation.PromRequestBodySize); n != 0 {
		t.Errorf("a request without a body recorded %d request-size series, want 0", n)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/chat", strings.NewReader(`{"message":"hi"}`))
	h.e.ServeHTTP(httptest.NewRecorder(), req)
	for _, name := range []string{instrumentation.PromActiveRequests, instrumentation.PromRequestBodySize, instrumentation.PromResponseBodySize, "target_info"} {
		if n, err := testutil.GatherAndCount(h.tel.Registry(), name); err != nil || n == 0 {
			t.Errorf("%s: %d series, err %v", name, n, err)
		}
	}
	if lint, err := testutil.GatherAndLint(h.tel.Registry()); err != nil || len(lint) > 0 {
		t.Errorf("lint problems %v, err %v", lint, err)
	}
}

func TestTraceContinuation(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		spanID  = "00f067aa0ba902b7"
	)
	tests := map[string]struct {
		traceparent  string
		wantContinue bool
	}{
		"a valid sampled traceparent is continued":   {traceparent: "00-" + traceID + "-" + spanID + "-01", wantContinue: true},
		"a valid unsampled traceparent is continued": {traceparent: "00-" + traceID + "-" + spanID + "-00", wantContinue: true},
		"an all-zero trace id starts a new trace":    {traceparent: "00-00000000000000000000000000000000-" + spanID + "-01"},
		"a malformed traceparent starts a new trace": {traceparent: "00-nothex-" + spanID + "-01"},
		"no traceparent starts a new trace":          {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// The default sampler is parent-based: pin always-on so both
			// flag values record a span.
			h := newHarness(t, instrumentation.WithSampler(sdktrace.AlwaysSample()))
			hdr := http.Header{}
			if tc.traceparent != "" {
				hdr.Set("Traceparent", tc.traceparent)
			}
			rec := h.do(t, http.MethodGet, "/api/users/7", hdr)
			spans := h.recorder.Ended()
			if len(spans) != 1 {
				t.Fatalf("got %d spans", len(spans))
			}
			s := spans[0]
			got := rec.Header().Get(instrumentation.HeaderTraceID)
			if got != s.SpanContext().TraceID().String() {
				t.Errorf("X-Trace-Id %q is not the span's trace id %s", got, s.SpanContext().TraceID())
			}
			if tc.wantContinue {
				if got != traceID {
					t.Errorf("X-Trace-Id = %q, want %s", got, traceID)
				}
				if p := s.Parent(); p.SpanID().String() != spanID || !p.IsRemote() {
					t.Errorf("parent = %v, want remote %s", p.SpanID(), spanID)
				}
			} else {
				if got == traceID || s.Parent().IsValid() {
					t.Errorf("trace %s continued a trace it should not have (parent %v)", got, s.Parent())
				}
			}
		})
	}
}

func TestOpenMetricsExemplar(t *testing.T) {
	h := newHarness(t, instrumentation.WithSampler(sdktrace.AlwaysSample()))
	rec := h.do(t, http.MethodGet, "/api/users/9", nil)
	traceID := rec.Header().Get(instrumentation.HeaderTraceID)
	if traceID == "" {
		t.Fatal("no X-Trace-Id")
	}
	body := scrape(t, h.tel.MetricsHandler(), "application/openmetrics-text; version=1.0.0")
	want := `trace_id="` + traceID + `"`
	found := false
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, instrumentation.PromRequestDuration+"_bucket") && strings.Contains(line, "# {") && strings.Contains(line, want) {
			found = true
		}
	}
	if !found {
		t.Errorf("no duration bucket exemplar with %s in OpenMetrics output", want)
	}
}

func TestEnvironmentConfiguration(t *testing.T) {
	t.Run("OTEL_SERVICE_NAME reaches target_info", func(t *testing.T) {
		t.Setenv("OTEL_SERVICE_NAME", "checkout")
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
		h := newHarness(t, instrumentation.WithServiceName("overridden"), instrumentation.WithServiceVersion("1.2.3"))
		body := scrape(t, h.tel.MetricsHandler(), "")
		for _, want := range []string{`service_name="checkout"`, `service_version="1.2.3"`, `deployment_environment_name="staging"`} {
			if !strings.Contains(body, want) {
				t.Errorf("target_info lacks %s", want)
			}
		}
	})
	t.Run("the default service name is vigil", func(t *testing.T) {
		t.Setenv("OTEL_SERVICE_NAME", "")
		h := newHarness(t)
		if body := scrape(t, h.tel.MetricsHandler(), ""); !strings.Contains(body, `service_name="vigil"`) {
			t.Error(`target_info lacks service_name="vigil"`)
		}
	})
	t.Run("OTEL_TRACES_SAMPLER=always_off records no spans", func(t *testing.T) {
		t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
		h := newHarness(t)
		rec := h.do(t, http.MethodGet, "/api/users/1", nil)
		if n := len(h.recorder.Ended()); n != 0 {
			t.Errorf("recorded %d spans, want 0", n)
		}
		if rec.Code != http.StatusOK {
			t.Errorf("status %d", rec.Code)
		}
		if n, _ := testutil.GatherAndCount(h.tel.Registry(), instrumentation.PromRequestDuration); n == 0 {
			t.Error("metrics not recorded with tracing off")
		}
	})
	t.Run("the grpc protocol is accepted without touching the network", func(t *testing.T) {
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
		tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
			instrumentation.WithoutHostMetrics(), instrumentation.WithoutRuntimeMetrics())
		if err != nil {
			t.Fatal(err)
		}
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown with nothing to send: %v", err)
		}
	})
	t.Run("an unsupported OTLP protocol fails setup", func(t *testing.T) {
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
		_, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
			instrumentation.WithoutHostMetrics(), instrumentation.WithoutRuntimeMetrics())
		if err == nil || !strings.Contains(err.Error(), "http/json") {
			t.Errorf("err = %v, want unsupported protocol", err)
		}
	})
}

func TestOTLPExportWhenEndpointSet(t *testing.T) {
	type hit struct {
		path, contentType string
		size              int
	}
	hits := make(chan hit, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- hit{r.URL.Path, r.Header.Get("Content-Type"), len(b)}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")

	tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
		instrumentation.WithoutHostMetrics(), instrumentation.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	e := newApp(tel.MiddlewareConfig())
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/users/1", nil))
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case h := <-hits:
		if h.path != "/v1/traces" || h.contentType != "application/x-protobuf" || h.size == 0 {
			t.Errorf("got %+v, want POST /v1/traces with a protobuf body", h)
		}
	default:
		t.Fatal("no OTLP request reached the collector")
	}
	srv.CloseClientConnections()
}

func TestMalformedResourceAttributesAreTolerated(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "good=yes,broken")
	h := newHarness(t)
	if body := scrape(t, h.tel.MetricsHandler(), ""); !strings.Contains(body, `good="yes"`) {
		t.Error(`target_info lacks good="yes"`)
	}
}
