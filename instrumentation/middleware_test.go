package instrumentation_test

import (
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation"
)

func TestMiddlewareAttributes(t *testing.T) {
	tests := map[string]struct {
		method, target string
		wantStatus     int
		wantAttrs      map[string]any // on http.server.request.duration
		wantSpanName   string
		wantSpanError  bool
		wantException  bool
	}{
		"a matched route is recorded with its template, not the raw path": {
			method: http.MethodGet, target: "/api/users/42", wantStatus: 200,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/api/users/:id",
				instrumentation.AttrStatusCode: int64(200), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "GET /api/users/:id",
		},
		"an unknown path gets no route attribute": {
			method: http.MethodGet, target: "/no/such/path/123", wantStatus: 404,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrStatusCode: int64(404), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "GET",
		},
		"a wrong method on a known path (405) gets no route attribute": {
			method: http.MethodDelete, target: "/api/users/42", wantStatus: 405,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "DELETE", instrumentation.AttrStatusCode: int64(405), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "DELETE",
		},
		"an unknown method is recorded as _OTHER": {
			method: "PURGE", target: "/api/users/42", wantStatus: 405,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "_OTHER", instrumentation.AttrStatusCode: int64(405), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "HTTP",
		},
		"a path caught by a RouteNotFound route gets no route attribute": {
			method: http.MethodGet, target: "/api/v2/anything", wantStatus: 404,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrStatusCode: int64(404), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "GET",
		},
		"a wildcard route registered with GET is a matched route": {
			method: http.MethodGet, target: "/static/css/site.css", wantStatus: 200,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/static/*",
				instrumentation.AttrStatusCode: int64(200), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "GET /static/*",
		},
		"a 5xx HTTPError carries its status code as error.type": {
			method: http.MethodGet, target: "/api/unavailable", wantStatus: 503,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/api/unavailable",
				instrumentation.AttrStatusCode: int64(503), instrumentation.AttrScheme: "http",
				instrumentation.AttrErrorType: "503",
			},
			wantSpanName: "GET /api/unavailable", wantSpanError: true, wantException: true,
		},
		"a plain handler error is a 500 typed by its innermost Go error": {
			method: http.MethodGet, target: "/api/broken", wantStatus: 500,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/api/broken",
				instrumentation.AttrStatusCode: int64(500), instrumentation.AttrScheme: "http",
				instrumentation.AttrErrorType: "instrumentation_test.errDatabase",
			},
			wantSpanName: "GET /api/broken", wantSpanError: true, wantException: true,
		},
		"a 4xx HTTPError is not a server error": {
			method: http.MethodGet, target: "/api/teapot", wantStatus: 418,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/api/teapot",
				instrumentation.AttrStatusCode: int64(418), instrumentation.AttrScheme: "http",
			},
			wantSpanName: "GET /api/teapot",
		},
		"a 500 written by the handler carries the status as error.type": {
			method: http.MethodGet, target: "/api/written500", wantStatus: 500,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/api/written500",
				instrumentation.AttrStatusCode: int64(500), instrumentation.AttrScheme: "http",
				instrumentation.AttrErrorType: "500",
			},
			wantSpanName: "GET /api/written500", wantSpanError: true,
		},
		"a panic is recorded as a 500 and an exception, then re-raised": {
			method: http.MethodGet, target: "/api/panic", wantStatus: 500,
			wantAttrs: map[string]any{
				instrumentation.AttrMethod: "GET", instrumentation.AttrRoute: "/api/panic",
				instrumentation.AttrStatusCode: int64(500), instrumentation.AttrScheme: "http",
				instrumentation.AttrErrorType: "panic",
			},
			wantSpanName: "GET /api/panic", wantSpanError: true, wantException: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(t, tc.method, tc.target, nil)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}

			m, err := findMetric(h.collect(t), instrumentation.MetricRequestDuration)
			if err != nil {
				t.Fatal(err)
			}
			hist := m.Data.(metricdata.Histogram[float64])
			if len(hist.DataPoints) != 1 {
				t.Fatalf("got %d data points, want 1", len(hist.DataPoints))
			}
			dp := hist.DataPoints[0]
			if dp.Count != 1 {
				t.Errorf("count = %d, want 1", dp.Count)
			}
			if got := attrMap(dp.Attributes); !equalAttrs(got, tc.wantAttrs) {
				t.Errorf("attributes = %v, want %v", got, tc.wantAttrs)
			}
			if m.Unit != "s" {
				t.Errorf("unit = %q, want s", m.Unit)
			}
			if want := instrumentation.SecondsBoundaries; len(dp.Bounds) != len(want) || dp.Bounds[0] != want[0] {
				t.Errorf("bounds = %v, want %v", dp.Bounds, want)
			}

			spans := h.recorder.Ended()
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name() != tc.wantSpanName {
				t.Errorf("span name = %q, want %q", s.Name(), tc.wantSpanName)
			}
			if s.SpanKind() != trace.SpanKindServer {
				t.Errorf("span kind = %v, want server", s.SpanKind())
			}
			if got := s.Status().Code == codes.Error; got != tc.wantSpanError {
				t.Errorf("span status error = %v, want %v", got, tc.wantSpanError)
			}
			gotException := false
			for _, ev := range s.Events() {
				if ev.Name == "exception" {
					gotException = true
				}
			}
			if gotException != tc.wantException {
				t.Errorf("exception event = %v, want %v", gotException, tc.wantException)
			}
			sattrs := attrMap(attribute.NewSet(s.Attributes()...))
			if sattrs["url.path"] != strings.SplitN(tc.target, "?", 2)[0] {
				t.Errorf("span url.path = %v", sattrs["url.path"])
			}
			if sattrs[instrumentation.AttrStatusCode] != int64(tc.wantStatus) {
				t.Errorf("span status code = %v, want %d", sattrs[instrumentation.AttrStatusCode], tc.wantStatus)
			}
			if sattrs[instrumentation.AttrRoute] != tc.wantAttrs[instrumentation.AttrRoute] {
				t.Errorf("span route = %v, want %v", sattrs[instrumentation.AttrRoute], tc.wantAttrs[instrumentation.AttrRoute])
			}
			if rec.Header().Get(instrumentation.HeaderTraceID) != s.SpanContext().TraceID().String() {
				t.Errorf("X-Trace-Id = %q, want %s", rec.Header().Get(instrumentation.HeaderTraceID), s.SpanContext().TraceID())
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}

			// Active requests return to zero.
			am, err := findMetric(h.collect(t), instrumentation.MetricActiveRequests)
			if err != nil {
				t.Fatal(err)
			}
			for _, dp := range am.Data.(metricdata.Sum[int64]).DataPoints {
				if dp.Value != 0 {
					t.Errorf("active requests = %d, want 0", dp.Value)
				}
			}
		})
	}
}

func attrMap(s attribute.Set) map[string]any {
	out := map[string]any{}
	for _, kv := range s.ToSlice() {
		out[string(kv.Key)] = kv.Value.AsInterface()
	}
	return out
}

func equalAttrs(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
