package instrumentation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation"
)

var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func TestRequestIDHeader(t *testing.T) {
	tests := map[string]struct {
		incoming  string
		wantReuse bool
	}{
		"a sane incoming id is reused":                {incoming: "req-123_ABC", wantReuse: true},
		"an id of exactly 64 characters is reused":    {incoming: strings.Repeat("a", 64), wantReuse: true},
		"an id of 65 characters is replaced":          {incoming: strings.Repeat("a", 65)},
		"an id with a space is replaced":              {incoming: "req 123"},
		"an id with a CRLF injection is replaced":     {incoming: "abc\r\nSet-Cookie: x=1"},
		"an id with non-ASCII characters is replaced": {incoming: "réq"},
		"a missing id is generated":                   {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			hdr := http.Header{}
			if tc.incoming != "" {
				hdr["X-Request-Id"] = []string{tc.incoming}
			}
			rec := h.do(t, http.MethodGet, "/api/headers", hdr)
			got := rec.Header().Get("X-Request-Id")
			if tc.wantReuse && got != tc.incoming {
				t.Errorf("X-Request-Id = %q, want %q", got, tc.incoming)
			}
			if !tc.wantReuse && (got == tc.incoming || !saneRequestID.MatchString(got)) {
				t.Errorf("X-Request-Id = %q, want a fresh sane id", got)
			}
			// The handler saw both headers already set on the response.
			want := got + "|" + rec.Header().Get(instrumentation.HeaderTraceID)
			if rec.Body.String() != want || len(rec.Header().Get(instrumentation.HeaderTraceID)) != 32 {
				t.Errorf("handler saw %q, want %q", rec.Body.String(), want)
			}
		})
	}
}

func TestGeneratedRequestIDsAreUnique(t *testing.T) {
	h := newHarness(t)
	seen := map[string]bool{}
	for range 1000 {
		id := h.do(t, http.MethodGet, "/api/users/1", nil).Header().Get("X-Request-Id")
		if seen[id] {
			t.Fatalf("duplicate request id %q", id)
		}
		seen[id] = true
	}
}

func TestCustomRequestIDConfig(t *testing.T) {
	h := newHarness(t)
	cfg := h.tel.MiddlewareConfig()
	cfg.RequestIDHeader = "x-correlation-id"
	cfg.RequestIDGenerator = func() string { return "fixed" }
	cfg.Skipper = func(c echo.Context) bool { return c.Path() == "/health" }
	e := echo.New()
	e.Use(instrumentation.MiddlewareWithConfig(cfg))
	e.GET("/ok", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.GET("/health", func(c echo.Context) error { return c.NoContent(http.StatusOK) })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ok", nil))
	if got := rec.Header().Get("X-Correlation-Id"); got != "fixed" {
		t.Errorf("X-Correlation-Id = %q, want fixed", got)
	}
	if rec.Header().Get(instrumentation.HeaderTraceID) == "" {
		t.Error("no X-Trace-Id")
	}

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	if rec.Header().Get("X-Correlation-Id") != "" || len(h.recorder.Ended()) != 1 {
		t.Errorf("skipped request was instrumented (headers %v, %d spans)", rec.Header(), len(h.recorder.Ended()))
	}
}

func TestRouteOf(t *testing.T) {
	e := echo.New()
	var gotRoute string
	var gotMatched bool
	capture := func(c echo.Context) error {
		gotRoute, gotMatched = instrumentation.RouteOf(c)
		return nil
	}
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			_ = capture(c)
			return next(c)
		}
	})
	e.GET("/api/users/:id", func(c echo.Context) error { return nil })
	e.Any("/files/*", func(c echo.Context) error { return nil })
	e.RouteNotFound("/*", func(c echo.Context) error { return c.NoContent(http.StatusNotFound) })

	tests := map[string]struct {
		method, path string
		route        string
		matched      bool
	}{
		"a parameter route is matched with its template": {http.MethodGet, "/api/users/5", "/api/users/:id", true},
		"an Any wildcard route is matched":               {http.MethodPut, "/files/a/b", "/files/*", true},
		"the RouteNotFound catch-all is unmatched":       {http.MethodGet, "/x/y/z", "", false},
		"a wrong method falls to the catch-all":          {http.MethodPost, "/api/users/5", "", false},
		"an unknown method is unmatched":                 {"BREW", "/api/users/5", "", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gotRoute, gotMatched = "unset", false
			e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
			if gotRoute != tc.route || gotMatched != tc.matched {
				t.Errorf("RouteOf = (%q, %v), want (%q, %v)", gotRoute, gotMatched, tc.route, tc.matched)
			}
		})
	}
}

func TestTraceIDFrom(t *testing.T) {
	if got := instrumentation.TraceIDFrom(context.Background()); got != "" {
		t.Errorf("empty context gave %q", got)
	}
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	if got := instrumentation.TraceIDFrom(ctx); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("TraceIDFrom = %q", got)
	}
}

func TestHandleErrorRecordsWhatTheErrorHandlerWrote(t *testing.T) {
	h := newHarness(t)
	cfg := h.tel.MiddlewareConfig()
	cfg.HandleError = true
	e := echo.New()
	e.Use(instrumentation.MiddlewareWithConfig(cfg))
	e.GET("/down", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "down for maintenance")
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/down", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Body.Len() == 0 {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	m, err := findMetric(h.collect(t), instrumentation.MetricResponseBodySize)
	if err != nil {
		t.Fatal(err)
	}
	dp := m.Data.(metricdata.Histogram[int64]).DataPoints[0]
	if dp.Sum != int64(rec.Body.Len()) {
		t.Errorf("recorded response size %d, want %d", dp.Sum, rec.Body.Len())
	}
	if got := attrMap(dp.Attributes)[instrumentation.AttrStatusCode]; got != int64(503) {
		t.Errorf("status attribute %v, want 503", got)
	}
}
