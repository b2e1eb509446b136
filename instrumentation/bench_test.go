package instrumentation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vigilhq/vigil/instrumentation"
)

// discardExporter stands in for Vigil's span exporter.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// discardMetrics stands in for Vigil's metric exporter.
type discardMetrics struct{}

func (discardMetrics) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

func (discardMetrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (discardMetrics) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (discardMetrics) ForceFlush(context.Context) error                          { return nil }
func (discardMetrics) Shutdown(context.Context) error                            { return nil }

// BenchmarkMiddleware compares GET /api/users/:id on bare echo with the same
// app instrumented with the production provider set: the Prometheus
// exporter as the only reader (the middleware's histograms reach it as a
// producer) and a batch span processor. "sampled" samples every request;
// "default" uses DefaultSampler (10 %); "unsampled" uses a 0 ratio, the
// cost floor of tracing; "sdk-instruments" is the default with an extra
// metric reader of the user's, which makes the middleware use the SDK's
// synchronous instruments (and the SDK aggregate for two readers).
//
//	go test -run '^$' -bench BenchmarkMiddleware -benchmem ./instrumentation/
func BenchmarkMiddleware(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		runBench(b, newApp(instrumentation.MiddlewareConfig{}))
	})
	for _, v := range []struct {
		name    string
		sampler sdktrace.Sampler
	}{
		{"sampled", sdktrace.AlwaysSample()},
		{"default", nil},
		{"unsampled", sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0))},
		{"sdk-instruments", nil},
	} {
		b.Run(v.name, func(b *testing.B) {
			opts := []instrumentation.Option{
				instrumentation.WithoutGlobalProviders(),
				instrumentation.WithoutHostMetrics(),
				instrumentation.WithoutRuntimeMetrics(),
				instrumentation.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(discardExporter{})),
			}
			if v.name == "sdk-instruments" {
				opts = append(opts, instrumentation.WithMetricReader(sdkmetric.NewPeriodicReader(discardMetrics{})))
			}
			if v.sampler != nil {
				opts = append(opts, instrumentation.WithSampler(v.sampler))
			}
			tel, err := instrumentation.Setup(context.Background(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = tel.Shutdown(context.Background()) }()
			runBench(b, newApp(tel.MiddlewareConfig()))
		})
	}
}

func runBench(b *testing.B, h http.Handler) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/api/users/42", nil)
		w := &nopWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		}
	})
}

// nopWriter is a ResponseWriter that keeps only the status, so the
// benchmark measures the handler chain, not a recorder.
type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }
