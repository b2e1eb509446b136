package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/host"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	lognoop "go.opentelemetry.io/otel/log/noop"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
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

var noopLoggerProvider = lognoop.NewLoggerProvider()

// Sentinel errors of this package.
var (
	// ErrUnsupportedProtocol is returned (with [ErrInvalidEnv]) by Setup
	// when OTEL_EXPORTER_OTLP_PROTOCOL or a per-signal variant names a
	// protocol other than http/protobuf or grpc.
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
// process exits so buffered spans, metrics and logs are flushed.
type Telemetry struct {
	resource   *resource.Resource
	mp         *sdkmetric.MeterProvider
	tp         *sdktrace.TracerProvider
	lp         *sdklog.LoggerProvider // nil without a logs exporter
	logger     *slog.Logger
	registry   *prometheus.Registry
	prom       *otelprom.Exporter
	propagator propagation.TextMapPropagator
	handler    http.Handler
	http       *httpmetrics.Histograms // nil when the middleware uses SDK instruments
	exporters  exporterEnv
	globals    bool
	// queues are the Shutdown of every queued exporter: run once more after
	// the providers' own, which skip them when their context ran out.
	queues []func(context.Context) error
}

// Setup builds the Resource; a LoggerProvider, a MeterProvider and a
// TracerProvider exporting to what OTEL_LOGS_EXPORTER,
// OTEL_METRICS_EXPORTER and OTEL_TRACES_EXPORTER select (see Exporters in
// the package documentation); the Prometheus exporter's registry (plus any
// [WithMetricReader] readers and [WithSpanProcessor] processors); installs
// the W3C TraceContext and Baggage propagator globally, and starts runtime
// and host metrics. An OTEL_* value it or the SDK cannot use fails it
// with [ErrInvalidEnv].
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
	env, err := readExporterEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}

	t := &Telemetry{
		resource:   res,
		registry:   prometheus.NewRegistry(),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		exporters:  env,
		globals:    cfg.globals,
	}
	t.logger = slog.New(newLogHandler(cfg.logger.Handler(), !cfg.loggerSet, nil))
	logf := func() *slog.Logger { return t.logger }
	drops := map[string]*drops{}
	for _, s := range signals {
		drops[s.name] = newDrops(s.name, logf)
	}
	// Undo what was built when a later step fails.
	var undo []func(context.Context) error
	fail := func(step string, err error) (*Telemetry, error) {
		errs := []error{fmt.Errorf("%w: %s: %w", ErrSetup, step, err)}
		for i := len(undo) - 1; i >= 0; i-- {
			errs = append(errs, undo[i](ctx))
		}
		return nil, errors.Join(errs...)
	}

	track := func(f func(context.Context) error) { t.queues = append(t.queues, f) }
	undo = append(undo, t.shutdownQueues)
	if t.lp, err = newLoggerProvider(ctx, res, env, drops[logsSignal.name], track); err != nil {
		return fail("logs", err)
	}
	if t.lp != nil {
		undo = append(undo, t.lp.Shutdown)
		t.logger = slog.New(newLogHandler(cfg.logger.Handler(), !cfg.loggerSet, t.lp))
	}

	if slices.Contains(env.metrics, ExporterPrometheus) {
		t.handler = promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{EnableOpenMetrics: true})
	} else {
		t.handler = http.HandlerFunc(prometheusOff)
	}
	promOpts := []otelprom.Option{otelprom.WithRegisterer(t.registry)}
	if len(cfg.readers) == 0 {
		// The middleware's histograms reach every reader Setup creates as
		// a producer; a reader of the user's could not be given one, so
		// with any the middleware keeps the SDK instruments.
		t.http = httpmetrics.New(cfg.cardinalityLimit)
		promOpts = append(promOpts, otelprom.WithProducer(t.http))
	}
	promExporter, err := otelprom.New(promOpts...)
	if err != nil {
		return fail("prometheus exporter", err)
	}
	t.prom = promExporter
	var producer sdkmetric.Producer
	if t.http != nil {
		producer = t.http
	}
	readers, err := metricReaders(ctx, env, producer, drops[metricsSignal.name], track)
	if err != nil {
		return fail("metrics", err)
	}
	mopts := []sdkmetric.Option{
		sdkmetric.WithResource(res),
		// Always there: the engine reads its aggregation (CollectMetrics)
		// whether or not /metrics serves it.
		sdkmetric.WithReader(promExporter),
		sdkmetric.WithCardinalityLimit(cfg.cardinalityLimit),
		sdkmetric.WithView(histogramViews()...),
	}
	for _, r := range append(readers, cfg.readers...) {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	t.mp = sdkmetric.NewMeterProvider(mopts...)
	undo = append(undo, t.mp.Shutdown)
	if t.http != nil {
		httpmetrics.Register(t.mp, t.http)
		undo = append(undo, func(context.Context) error { httpmetrics.Unregister(t.mp); return nil })
	}
	for _, d := range drops {
		if err := d.bind(t.mp); err != nil {
			return fail("dropped counter", err)
		}
	}

	processors, err := spanProcessors(ctx, env, drops[tracesSignal.name], track)
	if err != nil {
		return fail("traces", err)
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
	for _, p := range append(processors, cfg.processors...) {
		topts = append(topts, sdktrace.WithSpanProcessor(p))
	}
	// The SDK reads OTEL_TRACES_SAMPLER[_ARG] here, and reports a value it
	// cannot use rather than fail.
	err = captureConfigErrors(signal{}, func() error {
		t.tp = sdktrace.NewTracerProvider(topts...)
		return nil
	})
	undo = append(undo, t.tp.Shutdown)
	if err != nil {
		return fail("traces", err)
	}
	// To WithLogger's logger only: a line about the exporters is not
	// telemetry of the service.
	cfg.logger.InfoContext(ctx, "telemetry exporters",
		"traces", exporterList(env.traces), "metrics", exporterList(env.metrics), "logs", exporterList(env.logs))

	otel.SetTextMapPropagator(t.propagator)
	if cfg.globals {
		otel.SetMeterProvider(t.mp)
		otel.SetTracerProvider(t.tp)
		if t.lp != nil {
			otel.SetLoggerProvider(t.lp)
		}
		installDiag()
		diag.logger.Store(t.logger)
		installed.Store(t)
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

// exporterList is a selection for the log: "none" when empty.
func exporterList(names []string) string {
	if len(names) == 0 {
		return ExporterNone
	}
	return strings.Join(names, ",")
}

// prometheusOff answers /metrics when OTEL_METRICS_EXPORTER leaves the
// prometheus exporter out.
func prometheusOff(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "the prometheus metrics exporter is off: OTEL_METRICS_EXPORTER does not name prometheus", http.StatusNotFound)
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
	// WithService gives each process a service.instance.id (a UUID): a
	// collector fed by several replicas keeps their series apart by it
	// (its Prometheus exporter's instance label).
	return resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithService(),
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

// MetricsEnabled reports whether OTEL_METRICS_EXPORTER selects the
// prometheus exporter, which [Telemetry.MetricsHandler] serves (default:
// it does).
func (t *Telemetry) MetricsEnabled() bool {
	return slices.Contains(t.exporters.metrics, ExporterPrometheus)
}

// Shutdown flushes and shuts down the providers, and stops being the one
// [Logger] and the SDK's error reports use. It honours ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	httpmetrics.Unregister(t.mp)
	if t.globals && installed.CompareAndSwap(t, nil) {
		diag.logger.CompareAndSwap(t.logger, nil)
	}
	// Each Shutdown flushes first; logs last, so that what the others log
	// while they stop is still exported.
	errs := []error{t.tp.Shutdown(ctx), t.mp.Shutdown(ctx)}
	if t.lp != nil {
		errs = append(errs, t.lp.Shutdown(ctx))
	}
	_ = t.shutdownQueues(ctx)
	return errors.Join(errs...)
}

// shutdownQueues stops every export queue and its exporter, whether or not
// a provider did already (a provider whose context ran out does not reach
// its processors): no goroutine or connection outlives Shutdown. Errors are
// the providers' to report.
func (t *Telemetry) shutdownQueues(ctx context.Context) error {
	for _, f := range t.queues {
		_ = f(ctx)
	}
	return nil
}
