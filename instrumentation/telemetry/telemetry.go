package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/host"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
	"github.com/vigilhq/vigil/instrumentation/internal/httpmetrics"
	"github.com/vigilhq/vigil/instrumentation/names"
)

// Sentinel errors of this package.
var (
	// ErrUnsupportedProtocol is returned by Setup when
	// OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL names a protocol other than
	// http/protobuf or grpc.
	ErrUnsupportedProtocol = errors.New("unsupported otlp protocol")
	// ErrSetup wraps every failure of Setup.
	ErrSetup = errors.New("instrumentation setup")
)

// SecondsBoundaries are the explicit bucket boundaries, in seconds, of every
// histogram with unit "s" (OTel semantic-convention advice for
// http.server.request.duration). The SDK default is in milliseconds.
var SecondsBoundaries = httpmetrics.SecondsBoundaries

// BytesBoundaries are the explicit bucket boundaries, in bytes, of every
// histogram with unit "By" (request and response body sizes): powers of
// four from 128 B to 8 MiB.
var BytesBoundaries = httpmetrics.BytesBoundaries

// Telemetry holds the providers built by [Setup]. Call Shutdown before the
// process exits so buffered spans and metrics are flushed.
type Telemetry struct {
	resource   *resource.Resource
	mp         *sdkmetric.MeterProvider
	tp         *sdktrace.TracerProvider
	registry   *prometheus.Registry
	prom       *otelprom.Exporter
	propagator propagation.TextMapPropagator
	handler    http.Handler
	http       *httpmetrics.Histograms // nil when the middleware uses SDK instruments
}

// Setup builds the Resource, a MeterProvider exporting to its own Prometheus
// registry (plus any [WithMetricReader] readers), a TracerProvider (OTLP
// export only when an OTLP endpoint is configured in the environment, plus
// any [WithSpanProcessor] processors), installs the W3C TraceContext and
// Baggage propagator globally, and starts runtime and host metrics.
func Setup(ctx context.Context, opts ...Option) (*Telemetry, error) {
	cfg := newConfig(opts)

	res, err := newResource(ctx, cfg)
	switch {
	case errors.Is(err, resource.ErrPartialResource) && res != nil:
		// A malformed OTEL_RESOURCE_ATTRIBUTES entry: keep the rest.
		cfg.logger.WarnContext(ctx, "partial resource", "err", err)
	case err != nil:
		return nil, fmt.Errorf("%w: resource: %w", ErrSetup, err)
	}

	t := &Telemetry{
		resource:   res,
		registry:   prometheus.NewRegistry(),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	t.handler = promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{EnableOpenMetrics: true})

	promOpts := []otelprom.Option{otelprom.WithRegisterer(t.registry)}
	if len(cfg.readers) == 0 {
		// The middleware's histograms reach the only reader as a producer;
		// a reader of the user's could not be given one, so with any the
		// middleware keeps the SDK instruments.
		t.http = httpmetrics.New(cfg.cardinalityLimit)
		promOpts = append(promOpts, otelprom.WithProducer(t.http))
	}
	promExporter, err := otelprom.New(promOpts...)
	if err != nil {
		return nil, fmt.Errorf("%w: prometheus exporter: %w", ErrSetup, err)
	}
	t.prom = promExporter
	mopts := []sdkmetric.Option{
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(promExporter),
		sdkmetric.WithCardinalityLimit(cfg.cardinalityLimit),
		sdkmetric.WithView(histogramViews()...),
	}
	for _, r := range cfg.readers {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	t.mp = sdkmetric.NewMeterProvider(mopts...)
	if t.http != nil {
		httpmetrics.Register(t.mp, t.http)
	}

	dropped, err := t.mp.Meter(ScopeName).Int64Counter(names.MetricExporterDropped,
		metric.WithUnit("{item}"),
		metric.WithDescription("Telemetry items an exporter failed to deliver, by signal."))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: dropped counter: %w", ErrSetup, err), t.mp.Shutdown(ctx))
	}

	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	switch {
	case cfg.sampler != nil:
		topts = append(topts, sdktrace.WithSampler(cfg.sampler))
	case os.Getenv("OTEL_TRACES_SAMPLER") == "":
		// Vigil's default; a sampler named in the environment wins (the SDK
		// reads it when no WithSampler is given).
		topts = append(topts, sdktrace.WithSampler(DefaultSampler()))
	}
	otlp, err := newOTLPExporter(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: %w", ErrSetup, err), t.mp.Shutdown(ctx))
	}
	if otlp != nil {
		cfg.logger.InfoContext(ctx, "exporting traces over otlp")
		topts = append(topts, sdktrace.WithBatcher(&countingExporter{SpanExporter: otlp, dropped: dropped, logger: cfg.logger}))
	}
	for _, p := range cfg.processors {
		topts = append(topts, sdktrace.WithSpanProcessor(p))
	}
	t.tp = sdktrace.NewTracerProvider(topts...)

	otel.SetTextMapPropagator(t.propagator)
	if cfg.globals {
		otel.SetMeterProvider(t.mp)
		otel.SetTracerProvider(t.tp)
	}

	if cfg.runtimeMetrics {
		if err := runtime.Start(runtime.WithMeterProvider(t.mp)); err != nil {
			return nil, errors.Join(fmt.Errorf("%w: runtime metrics: %w", ErrSetup, err), t.Shutdown(ctx))
		}
	}
	if cfg.hostMetrics {
		if err := host.Start(host.WithMeterProvider(t.mp)); err != nil {
			return nil, errors.Join(fmt.Errorf("%w: host metrics: %w", ErrSetup, err), t.Shutdown(ctx))
		}
		if err := startSystemMetrics(t.mp.Meter(ScopeName), cfg.diskPath); err != nil {
			return nil, errors.Join(fmt.Errorf("%w: system metrics: %w", ErrSetup, err), t.Shutdown(ctx))
		}
	}
	return t, nil
}

// ScopeName is the instrumentation scope of the instruments this package
// creates (otel_scope_name in Prometheus output).
const ScopeName = names.ScopeName

func newResource(ctx context.Context, cfg config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.serviceName)}
	if cfg.serviceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.serviceVersion))
	}
	attrs = append(attrs, cfg.attributes...)
	// Later options override earlier ones: the environment wins.
	return resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
}

func histogramViews() []sdkmetric.View {
	return []sdkmetric.View{
		// The contrib runtime's go.goroutine.count becomes go_goroutine_count,
		// a gauge whose _count suffix `promtool check metrics` rejects (it
		// reads as a histogram's count). Expose it as go.goroutines.
		sdkmetric.NewView(
			sdkmetric.Instrument{Name: "go.goroutine.count"},
			sdkmetric.Stream{Name: names.MetricGoGoroutines},
		),
		sdkmetric.NewView(
			sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: SecondsBoundaries}},
		),
		sdkmetric.NewView(
			sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "By"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: BytesBoundaries}},
		),
	}
}

// newOTLPExporter returns an OTLP span exporter when the environment names
// an endpoint, and nil otherwise: with no endpoint nothing touches the
// network. The exporters read the remaining OTEL_EXPORTER_OTLP_* variables
// (headers, timeout, TLS) themselves.
func newOTLPExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, nil
	}
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch strings.TrimSpace(proto) {
	case "", "http/protobuf":
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp http exporter: %w", err)
		}
		return exp, nil
	case "grpc":
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp grpc exporter: %w", err)
		}
		return exp, nil
	default:
		return nil, fmt.Errorf("%w: %q (want http/protobuf or grpc)", ErrUnsupportedProtocol, proto)
	}
}

// countingExporter counts the spans of failed exports as
// vigil.exporter.dropped{signal="traces"}. Spans the batch processor drops
// because its queue is full are not visible to it (the SDK only logs them at
// debug level).
type countingExporter struct {
	sdktrace.SpanExporter
	dropped metric.Int64Counter
	logger  interface {
		WarnContext(ctx context.Context, msg string, args ...any)
	}
}

var droppedTraces = metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", "traces")))

func (e *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.dropped.Add(ctx, int64(len(spans)), droppedTraces)
		e.logger.WarnContext(ctx, "span export failed", "spans", len(spans), "err", err)
	}
	return err
}

// CollectMetrics reads the current cumulative data of the Prometheus
// exporter's reader into rm. Every measurement is aggregated once for
// /metrics; other consumers (exporter.Poller) share that aggregation through
// this method instead of registering a reader of their own, which would make
// the SDK aggregate every measurement again. Safe for concurrent use with
// scrapes: the SDK serialises collections of one reader.
func (t *Telemetry) CollectMetrics(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return t.prom.Collect(ctx, rm)
}

// MeterProvider returns the MeterProvider.
func (t *Telemetry) MeterProvider() *sdkmetric.MeterProvider { return t.mp }

// TracerProvider returns the TracerProvider.
func (t *Telemetry) TracerProvider() *sdktrace.TracerProvider { return t.tp }

// Propagator returns the W3C TraceContext and Baggage propagator.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

// Resource returns the Resource shared by every signal.
func (t *Telemetry) Resource() *resource.Resource { return t.resource }

// Registry returns the Prometheus registry the OTel Prometheus exporter
// writes to. It is not the global default registry.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// MetricsHandler serves the registry in the Prometheus text format or, when
// the scraper asks for it, OpenMetrics (which carries exemplars).
func (t *Telemetry) MetricsHandler() http.Handler { return t.handler }

// ServerOptions returns the options that make a server instrumentation
// (httpserver.New, and through it every adapter) use this Telemetry's
// providers and propagator.
func (t *Telemetry) ServerOptions() []httpserver.Option {
	return []httpserver.Option{
		httpserver.WithMeterProvider(t.mp),
		httpserver.WithTracerProvider(t.tp),
		httpserver.WithPropagator(t.propagator),
	}
}

// Tracer returns a tracer of this package's scope, a convenience for spans
// around work that is not an HTTP request.
func (t *Telemetry) Tracer() trace.Tracer { return t.tp.Tracer(ScopeName) }

// Shutdown flushes and shuts down both providers. It honours ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	httpmetrics.Unregister(t.mp)
	return errors.Join(
		t.tp.ForceFlush(ctx),
		t.tp.Shutdown(ctx),
		t.mp.ForceFlush(ctx),
		t.mp.Shutdown(ctx),
	)
}
