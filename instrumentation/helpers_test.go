package instrumentation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/labstack/echo/v4"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/vigilhq/vigil/instrumentation"
)

// harness is a Telemetry with a span recorder, and an echo app
// instrumented with it. Its metrics are read as exporter.Poller reads them
// (Telemetry.CollectMetrics), so the middleware records its histograms the
// production way; with sdkInstruments it has a manual reader of its own,
// which makes the middleware use the SDK's instruments instead.
type harness struct {
	tel      *instrumentation.Telemetry
	reader   *sdkmetric.ManualReader // nil: collect through tel
	recorder *tracetest.SpanRecorder
	e        *echo.Echo
}

func newHarness(t testing.TB, opts ...instrumentation.Option) *harness {
	t.Helper()
	return newHarnessWith(t, false, opts...)
}

func newHarnessWith(t testing.TB, sdkInstruments bool, opts ...instrumentation.Option) *harness {
	t.Helper()
	h := &harness{recorder: tracetest.NewSpanRecorder()}
	base := []instrumentation.Option{
		instrumentation.WithoutRuntimeMetrics(),
		instrumentation.WithoutHostMetrics(),
		instrumentation.WithoutGlobalProviders(),
		instrumentation.WithSpanProcessor(h.recorder),
	}
	if sdkInstruments {
		h.reader = sdkmetric.NewManualReader()
		base = append(base, instrumentation.WithMetricReader(h.reader))
	}
	if os.Getenv("OTEL_TRACES_SAMPLER") == "" {
		// These tests look at every span; sampler_test.go tests the default.
		base = append(base, instrumentation.WithSampler(sdktrace.AlwaysSample()))
	}
	tel, err := instrumentation.Setup(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	h.tel = tel
	h.e = newApp(tel.MiddlewareConfig())
	return h
}

// newApp is the reference route set used by the tests and the benchmark.
func newApp(cfg instrumentation.MiddlewareConfig) *echo.Echo {
	e := echo.New()
	e.Use(testRecover)
	if cfg.MeterProvider != nil {
		e.Use(instrumentation.MiddlewareWithConfig(cfg))
	}
	e.GET("/api/users/:id", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id"), "name": "ada"})
	})
	e.POST("/api/chat", func(c echo.Context) error {
		return c.String(http.StatusOK, "hello")
	})
	e.GET("/api/unavailable", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "down for maintenance")
	})
	e.GET("/api/broken", func(c echo.Context) error {
		return fmt.Errorf("load user: %w", errDatabase{})
	})
	e.GET("/api/teapot", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusTeapot, "short and stout")
	})
	e.GET("/api/panic", func(c echo.Context) error {
		panic("handler exploded")
	})
	e.GET("/api/written500", func(c echo.Context) error {
		return c.String(http.StatusInternalServerError, "oops")
	})
	e.GET("/api/headers", func(c echo.Context) error {
		// The ID headers must be in place before the handler writes.
		h := c.Response().Header()
		return c.String(http.StatusOK, h.Get(echo.HeaderXRequestID)+"|"+h.Get(instrumentation.HeaderTraceID))
	})
	e.GET("/static/*", func(c echo.Context) error { return c.String(http.StatusOK, "file") })
	e.RouteNotFound("/api/v2/*", func(c echo.Context) error {
		return c.String(http.StatusNotFound, "custom not found")
	})
	return e
}

type errDatabase struct{}

func (errDatabase) Error() string { return "database unavailable" }

// testRecover stands in for the application's Recover middleware.
func testRecover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = echo.NewHTTPError(http.StatusInternalServerError, "internal error")
			}
		}()
		return next(c)
	}
}

func (h *harness) do(t testing.TB, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, req)
	return rec
}

func (h *harness) collect(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	collect := h.tel.CollectMetrics
	if h.reader != nil {
		collect = h.reader.Collect
	}
	if err := collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	return rm
}

func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, error) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, nil
			}
		}
	}
	return metricdata.Metrics{}, errors.New("metric " + name + " not found")
}
