package instrumentation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/instrumentation"
)

// TestActiveRequestsCountInFlightRequestsPerMethodAndScheme collects while
// requests are inside handlers: the gauge counts them by method and scheme
// (not by route), and returns to zero afterwards.
func TestActiveRequestsCountInFlightRequestsPerMethodAndScheme(t *testing.T) {
	h := newHarness(t)
	e := echo.New()
	e.Use(instrumentation.MiddlewareWithConfig(h.tel.MiddlewareConfig()))
	var inner func()
	e.GET("/a", func(c echo.Context) error { inner(); return c.NoContent(http.StatusOK) })
	e.GET("/b", func(c echo.Context) error { inner(); return c.NoContent(http.StatusOK) })

	active := func() map[attribute.Distinct]int64 {
		rm := h.collect(t)
		m, err := findMetric(rm, instrumentation.MetricActiveRequests)
		if err != nil {
			t.Fatal(err)
		}
		out := map[attribute.Distinct]int64{}
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			out[dp.Attributes.Equivalent()] = dp.Value
		}
		return out
	}
	want := attribute.NewSet(attribute.String("http.request.method", "GET"), attribute.String("url.scheme", "http"))
	getHTTP := want.Equivalent()

	var during map[attribute.Distinct]int64
	inner = func() {
		// A second request to another route is in flight too.
		inner = func() { during = active() }
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/b", nil).WithContext(context.Background()))
	}
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/a", nil))
	if len(during) != 1 || during[getHTTP] != 2 {
		t.Errorf("during two nested GETs: %v, want one GET/http series at 2", during)
	}
	if after := active(); after[getHTTP] != 0 {
		t.Errorf("after the requests: %v, want 0", after)
	}
}
