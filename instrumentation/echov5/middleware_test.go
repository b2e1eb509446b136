package echov5_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/vigilhq/vigil/instrumentation/echov5"
	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

type app struct {
	e     *echo.Echo
	tel   *telemetry.Telemetry
	spans *tracetest.SpanRecorder
}

func newApp(t *testing.T, cfg echov5.Config) *app {
	t.Helper()
	a := &app{spans: tracetest.NewSpanRecorder()}
	tel, err := telemetry.Setup(context.Background(), telemetry.WithoutRuntimeMetrics(), telemetry.WithoutHostMetrics(),
		telemetry.WithoutGlobalProviders(), telemetry.WithSpanProcessor(a.spans), telemetry.WithSampler(sdktrace.AlwaysSample()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tel.Shutdown(context.Background())) })
	a.tel = tel
	cfg.Options = append(tel.ServerOptions(), cfg.Options...)
	a.e = echo.New()
	a.e.Use(middleware.Recover())
	a.e.Use(echov5.MiddlewareWithConfig(cfg))
	a.e.GET("/api/users/:id", func(c *echo.Context) error { return c.String(http.StatusOK, "ada") })
	a.e.GET("/api/unavailable", func(*echo.Context) error { return echo.ErrServiceUnavailable })
	a.e.GET("/api/conflict", func(*echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "taken") })
	a.e.GET("/api/broken", func(*echo.Context) error { return errors.New("boom") })
	a.e.GET("/health", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) })
	a.e.RouteNotFound("/api/v2/*", func(c *echo.Context) error { return c.String(http.StatusNotFound, "custom") })
	g := a.e.Group("/admin", func(next echo.HandlerFunc) echo.HandlerFunc { return next })
	g.GET("/jobs", func(c *echo.Context) error { return c.String(http.StatusOK, "jobs") })
	return a
}

func (a *app) do(method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// durations returns the request-duration data points by (route, status).
func (a *app) durations(t *testing.T) map[[2]string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, a.tel.CollectMetrics(context.Background(), &rm))
	out := map[[2]string]metricdata.HistogramDataPoint[float64]{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != names.MetricRequestDuration {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				route, _ := dp.Attributes.Value(names.AttrRoute)
				status, _ := dp.Attributes.Value(names.AttrStatusCode)
				out[[2]string{route.AsString(), status.String()}] = dp
			}
		}
	}
	return out
}

func TestRouteOf(t *testing.T) {
	tests := map[string]struct {
		method, target string
		wantStatus     int
		wantRoute      string // "" for none
		wantSpan       string
	}{
		"a matched route is its template":             {"GET", "/api/users/7", 200, "/api/users/:id", "GET /api/users/:id"},
		"an unknown path has no route":                {"GET", "/nope/1", 404, "", "GET"},
		"a wrong method has no route":                 {"DELETE", "/api/users/7", 405, "", "DELETE"},
		"a RouteNotFound route is no route":           {"GET", "/api/v2/anything", 404, "", "GET"},
		"a group's own not-found route is no route":   {"GET", "/admin/unknown", 404, "", "GET"},
		"a route of a group with middleware is found": {"GET", "/admin/jobs", 200, "/admin/jobs", "GET /admin/jobs"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, echov5.Config{})
			assert.Equal(t, tt.wantStatus, a.do(tt.method, tt.target).Code)
			_, ok := a.durations(t)[[2]string{tt.wantRoute, strconv.Itoa(tt.wantStatus)}]
			assert.True(t, ok, "no series for route %q status %d in %v", tt.wantRoute, tt.wantStatus, a.durations(t))
			require.Len(t, a.spans.Ended(), 1)
			assert.Equal(t, tt.wantSpan, a.spans.Ended()[0].Name())
		})
	}
}

func TestErrors(t *testing.T) {
	tests := map[string]struct {
		target        string
		handleError   bool
		wantStatus    int
		wantErrorType string
		wantException bool
		wantSize      bool // the error body is counted
	}{
		"a 5xx HTTP error is an exception typed by its status": {
			target: "/api/unavailable", wantStatus: 503, wantErrorType: "503", wantException: true,
		},
		"a 4xx HTTP error is a client outcome, no exception": {
			target: "/api/conflict", wantStatus: 409,
		},
		"a plain error is a 500 typed by its Go type": {
			target: "/api/broken", wantStatus: 500, wantErrorType: "*errors.errorString", wantException: true,
		},
		"with HandleError the error handler's body is counted": {
			target: "/api/conflict", handleError: true, wantStatus: 409, wantSize: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, echov5.Config{HandleError: tt.handleError})
			rec := a.do("GET", tt.target)
			assert.Equal(t, tt.wantStatus, rec.Code)
			require.Len(t, a.spans.Ended(), 1)
			span := a.spans.Ended()[0]
			assert.Equal(t, tt.wantException, len(span.Events()) == 1, "exception events: %v", span.Events())
			var errType string
			for _, kv := range span.Attributes() {
				if kv.Key == names.AttrErrorType {
					errType = kv.Value.AsString()
				}
			}
			assert.Equal(t, tt.wantErrorType, errType)

			var rm metricdata.ResourceMetrics
			require.NoError(t, a.tel.CollectMetrics(context.Background(), &rm))
			var size int64 = -1
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if m.Name == names.MetricResponseBodySize {
						size = m.Data.(metricdata.Histogram[int64]).DataPoints[0].Sum
					}
				}
			}
			if tt.wantSize {
				assert.Equal(t, int64(rec.Body.Len()), size)
			} else {
				assert.Zero(t, size, "echo v5 writes the error after the middleware returned")
			}
		})
	}
}

func TestSkipper(t *testing.T) {
	a := newApp(t, echov5.Config{Skipper: func(c *echo.Context) bool { return c.Request().URL.Path == "/health" }})
	rec := a.do("GET", "/health")
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Empty(t, rec.Header().Get("X-Request-Id"), "a skipped request gets no headers")
	assert.Empty(t, a.spans.Ended())
	assert.Empty(t, a.durations(t))
	a.do("GET", "/api/users/1")
	assert.Len(t, a.spans.Ended(), 1)
}
