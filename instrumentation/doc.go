// Package instrumentation sets up OpenTelemetry for an echo v4 service and
// instruments its requests: it is the echo v4 adapter of Vigil's
// instrumentation.
//
// # Layout
//
// The behaviour lives in packages no web framework is compiled into:
// [github.com/vigilhq/vigil/instrumentation/telemetry] (Setup, its options,
// samplers, runtime and host metrics),
// [github.com/vigilhq/vigil/instrumentation/httpserver] (the
// framework-neutral HTTP server instrumentation: metrics, spans, request
// and trace ID headers, late spans) and
// [github.com/vigilhq/vigil/instrumentation/names] (metric and attribute
// names). This package translates echo v4's request, route and error model
// for httpserver, and forwards Setup, its options and the names so that
// existing code keeps compiling unchanged. The echo v5 and net/http
// adapters are instrumentation/echov5 and instrumentation/nethttp; they are
// packages of this module rather than modules of their own because Go
// compiles only the packages a program imports: a program importing
// instrumentation/nethttp compiles neither echo version (go mod why in
// examples/nethttp shows it).
//
// # Setup
//
// [Setup] builds the Resource (service.name "vigil" unless
// [WithServiceName] or OTEL_SERVICE_NAME says otherwise), a MeterProvider
// exporting to its own Prometheus registry, a TracerProvider and a
// LoggerProvider; OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER,
// OTEL_LOGS_EXPORTER and the OTEL_EXPORTER_OTLP_* variables choose where
// each signal goes (see Exporters in package telemetry); with no OTLP
// endpoint, nothing touches the network. [Logger] gives a handler the
// trace-correlated logger. Go runtime, host and process metrics are started unless disabled.
//
//	tel, err := instrumentation.Setup(ctx, instrumentation.WithServiceVersion(version))
//	if err != nil { ... }
//	defer tel.Shutdown(context.WithoutCancel(ctx))
//	e.Use(instrumentation.MiddlewareWithConfig(tel.MiddlewareConfig()))
//	e.GET("/metrics", echo.WrapHandler(tel.MetricsHandler()))
//
// Every measurement is aggregated once, for the Prometheus exporter. A
// consumer that needs the data too (Vigil's engine, through
// exporter.Poller) reads that aggregation with [Telemetry.CollectMetrics]
// rather than registering a reader of its own with [WithMetricReader]: the
// SDK aggregates every measurement once per reader.
//
// # Sampling
//
// The sampler is, in this order: the one given with [WithSampler]; the one
// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name (the user's choice
// always wins); else Vigil's [DefaultSampler], a product decision:
//
//   - requests continuing a trace follow their parent's decision;
//   - a tenth ([DefaultSampleRatio]) of new traces are sampled, at most
//     [DefaultMaxTracesPerSecond] (10) per second per process
//     ([RateLimited]): below 100 requests per second that is a tenth, above
//     it the share falls so that tracing costs the same at any load;
//   - every request that ends in a 5xx, panics, or takes at least
//     [MiddlewareConfig.SlowThreshold] (1s, the slow threshold of
//     exporter.Spans) has a sampled server span whose trace ID is the one
//     the client got in X-Trace-Id. When its own span was not sampled, the
//     middleware starts a late server span at the end of the request: same
//     name, attributes and status, the request's start time, the trace's
//     remote parent (or the unsampled span) as parent, and a context mark
//     that [ForceSampling] always samples. Spans the handler started
//     underneath are not recovered.
//
// The reason is cost: sampling every request tripled the middleware's
// per-request time (BENCHMARKS.md), while what alerts need (exporter.Spans
// forwards error and slow server spans to the engine, which links an alert
// to its latest error trace) is exactly the failing and slow requests.
// Wrap your own sampler in [ForceSampling] to keep that guarantee.
//
// # Middleware
//
// The echo middleware records the OpenTelemetry HTTP server semantic
// conventions (request duration in seconds, active requests, body sizes)
// with http.request.method, http.route, http.response.status_code,
// url.scheme and, for 5xx, error.type. A raw path, query or Host header
// never becomes a metric attribute: a request echo could not route carries
// no http.route at all (see [RouteOf]). Attribute sets are computed once per
// route, method, scheme and status and cached.
//
// http.server.request.body.size is recorded only for requests that carry a
// body (Content-Length > 0). Requests echo answers with its 404/405 fallback
// or with a RouteNotFound route are "unmatched".
//
// Each request gets a server span named "METHOD route" that continues a
// valid incoming W3C traceparent, and the response carries X-Request-Id and
// X-Trace-Id (set before the handler runs). Span attributes (url.path,
// client.address, user_agent.original, http.route, status) are only
// computed for recording spans. Measurements are recorded with the span's context, so sampled
// requests leave exemplars (trace_id, span_id) in the OpenMetrics output.
//
// # Cost
//
// BenchmarkMiddleware measures the middleware against bare echo. Beyond
// echo's own per-request closure, an unsampled request allocates four
// objects (request copy, span context, span, header values), a sampled one
// more; everything keyed by route, method, scheme and status is computed
// once.
//
// On a MeterProvider built by [Setup] with no [WithMetricReader] (the
// application's wiring), the three histograms do not go through the SDK's
// synchronous instruments: the middleware resolves each (route, method,
// scheme, status) data point once and a measurement is a bucket search and
// a few atomic adds; the Prometheus exporter's reader collects them as a
// metric producer. The data is what the SDK would report (a test compares
// both paths request by request: buckets, sums, extrema, cardinality
// overflow, exemplars), except that a bucket's exemplar is its last
// sampled measurement rather than a random one. With another
// MeterProvider, or once the user adds a reader (which could not be given
// the producer), the middleware uses the SDK's instruments, whose per
// measurement cost (attribute normalisation, a map lookup, once per
// reader) was a third of the middleware's.
//
// # Dropped telemetry
//
// Spans, metrics and log records that could not be exported are counted
// in vigil.exporter.dropped{signal=...} (see Dropped telemetry in package
// telemetry).
package instrumentation
