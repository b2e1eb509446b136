package nethttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/instrumentation/nethttp"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

type app struct {
	h     http.Handler
	tel   *telemetry.Telemetry
	spans *tracetest.SpanRecorder
}

// passThrough is a middleware between the instrumentation and the
// handlers that wraps the ResponseWriter, as many do.
type passThrough struct{ http.ResponseWriter }

func (p passThrough) Unwrap() http.ResponseWriter { return p.ResponseWriter }

func newApp(t testing.TB) *app {
	t.Helper()
	a := &app{spans: tracetest.NewSpanRecorder()}
	tel, err := telemetry.Setup(context.Background(), telemetry.WithoutRuntimeMetrics(), telemetry.WithoutHostMetrics(),
		telemetry.WithoutGlobalProviders(), telemetry.WithSpanProcessor(a.spans), telemetry.WithSampler(sdktrace.AlwaysSample()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tel.Shutdown(context.Background())) })
	a.tel = tel
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.PathValue("id")) })
	mux.HandleFunc("tenant.example/api/tenant", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "t") })
	mux.HandleFunc("GET /api/broken", func(w http.ResponseWriter, _ *http.Request) {
		nethttp.Error(passThrough{w}, errors.New("boom"), http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /api/panic", func(http.ResponseWriter, *http.Request) { panic("exploded") })
	inner := http.NewServeMux()
	inner.HandleFunc("GET /v1/ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pong") })
	mux.Handle("/legacy/", http.StripPrefix("/legacy", inner))
	a.h = nethttp.NewHandler(mux, tel.ServerOptions()...)
	return a
}

func (a *app) do(method, target, host string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if host != "" {
		req.Host = host
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

func (a *app) routes(t *testing.T) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, a.tel.CollectMetrics(context.Background(), &rm))
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == names.MetricRequestDuration {
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					route, _ := dp.Attributes.Value(names.AttrRoute)
					out = append(out, route.AsString())
				}
			}
		}
	}
	return out
}

func TestRoute(t *testing.T) {
	tests := map[string]struct {
		method, target, host string
		wantStatus           int
		wantRoute            string
		wantSpan             string
	}{
		"the method is not part of the route": {"GET", "/api/users/7", "", 200, "/api/users/{id}", "GET /api/users/{id}"},
		"the host is not part of the route":   {"GET", "/api/tenant", "tenant.example", 200, "/api/tenant", "GET /api/tenant"},
		"an unknown path has no route":        {"GET", "/nope", "", 404, "", "GET"},
		"a wrong method has no route":         {"DELETE", "/api/users/7", "", 405, "", "DELETE"},
		// StripPrefix hands the inner mux a copy of the request, so its
		// pattern never reaches the instrumentation: the outer one is used.
		"behind StripPrefix the outer pattern is the route": {"GET", "/legacy/v1/ping", "", 200, "/legacy/", "GET /legacy/"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := newApp(t)
			assert.Equal(t, tt.wantStatus, a.do(tt.method, tt.target, tt.host).Code)
			assert.Equal(t, []string{tt.wantRoute}, a.routes(t))
			require.Len(t, a.spans.Ended(), 1)
			assert.Equal(t, tt.wantSpan, a.spans.Ended()[0].Name())
		})
	}
}

func TestErrorRecordsTheGoError(t *testing.T) {
	a := newApp(t)
	rec := a.do("GET", "/api/broken", "")
	assert.Equal(t, 500, rec.Code)
	assert.Equal(t, "Internal Server Error\n", rec.Body.String(), "the error's text is not sent to the client")
	span := a.spans.Ended()[0]
	require.Len(t, span.Events(), 1)
	assert.Equal(t, "exception", span.Events()[0].Name)
	assert.Equal(t, "boom", span.Status().Description)
}

func TestPanicIsRecordedAndReraised(t *testing.T) {
	a := newApp(t)
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		a.do("GET", "/api/panic", "")
	}()
	assert.Equal(t, "exploded", recovered)
	require.Len(t, a.spans.Ended(), 1)
	var errType string
	for _, kv := range a.spans.Ended()[0].Attributes() {
		if kv.Key == names.AttrErrorType {
			errType = kv.Value.AsString()
		}
	}
	assert.Equal(t, "panic", errType)
}

var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// FuzzHandler feeds client-controlled request parts through the handler:
// it must not panic, must answer with a sane X-Request-Id and a 32-hex
// X-Trace-Id, and must never put the raw path or Host into a metric.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/api/users/1", "abc", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "zzfuzz.example.com", "websocket")
	f.Add("PURGE", "/zzfuzz/../../etc", strings.Repeat("x", 70), "garbage", "zzfuzz-evil", "")
	f.Add("GET", "/legacy/zzfuzz", "id\r\nX: y", "", "", "text/event-stream")
	a := newApp(f)
	f.Fuzz(func(t *testing.T, method, path, reqID, traceparent, host, upgrade string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || !strings.HasPrefix(path, "/") ||
			strings.ContainsAny(path, " \r\n#") || path == "/api/panic" {
			t.Skip()
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method, req.URL.Path, req.RequestURI, req.Host = method, path, path, host
		req.Header["X-Request-Id"] = []string{reqID}
		req.Header["Traceparent"] = []string{traceparent}
		req.Header["Upgrade"] = []string{upgrade}
		req.Header["Accept"] = []string{upgrade}
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		if id := rec.Header().Get("X-Request-Id"); !saneRequestID.MatchString(id) {
			t.Fatalf("X-Request-Id %q is not sane", id)
		}
		if tid := rec.Header().Get("X-Trace-Id"); len(tid) != 32 {
			t.Fatalf("X-Trace-Id %q", tid)
		}
		for _, r := range a.routes(t) {
			if strings.Contains(r, "zzfuzz") {
				t.Fatalf("route %q carries the raw path", r)
			}
		}
	})
}
