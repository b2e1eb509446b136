package bench_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation"
)

// BenchmarkMetricsEndpoint10kSeries scrapes /metrics (OpenMetrics, as
// Prometheus asks) holding 10 000 request-duration histogram series.
// Goal: ≤ 50 ms per scrape.
// BenchmarkMetricsEndpoint10kSeries scrapes /metrics holding 10 000 exposition
// series the way Prometheus counts them (each bucket, _sum and _count line is
// one series): 588 label sets of the request-duration histogram × 17 lines
// (15 buckets, _sum, _count) = 9 996 series. BenchmarkMetricsEndpoint10kHistograms holds 10 000 label
// sets (170 000 series), the stress case.
func BenchmarkMetricsEndpoint10kSeries(b *testing.B) { benchScrape(b, 588) }

// BenchmarkMetricsEndpoint10kHistograms: 10 000 histogram label sets.
func BenchmarkMetricsEndpoint10kHistograms(b *testing.B) { benchScrape(b, 10000) }

func benchScrape(b *testing.B, labelSets int) {
	ctx := context.Background()
	tel, err := instrumentation.Setup(ctx,
		instrumentation.WithoutGlobalProviders(), instrumentation.WithoutHostMetrics(),
		instrumentation.WithoutRuntimeMetrics(), instrumentation.WithCardinalityLimit(20000))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(ctx) }()
	h, err := tel.MeterProvider().Meter("bench").Float64Histogram(instrumentation.MetricRequestDuration, metric.WithUnit("s"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range labelSets {
		h.Record(ctx, 0.02, metric.WithAttributes(
			attribute.String(instrumentation.AttrRoute, "/api/r"+strconv.Itoa(i/20)),
			attribute.Int(instrumentation.AttrStatusCode, 200+i%20)))
	}
	srv := tel.MetricsHandler()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}
