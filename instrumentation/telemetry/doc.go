// Package telemetry sets up OpenTelemetry for a Go service: the Resource,
// a MeterProvider exporting to its own Prometheus registry, a
// TracerProvider and a LoggerProvider exporting where the OTEL_*
// variables say, a trace-correlated slog logger, the W3C propagator, and
// Go runtime, host and process metrics. It imports no web framework; the framework adapters
// (package instrumentation for echo v4, instrumentation/echov5,
// instrumentation/nethttp) take its providers through
// [Telemetry.ServerOptions].
//
// # Setup
//
// [Setup] builds the Resource (service.name "vigil" unless
// [WithServiceName] or OTEL_SERVICE_NAME says otherwise, and a
// service.instance.id per process), a LoggerProvider, a MeterProvider and
// a TracerProvider with the exporters the environment selects (below). Go
// runtime, host and process metrics are started unless disabled.
//
//	tel, err := telemetry.Setup(ctx, telemetry.WithServiceVersion(version),
//		telemetry.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr, nil))))
//	if err != nil { ... }
//	defer tel.Shutdown(context.WithoutCancel(ctx))
//	handler := nethttp.NewHandler(mux, tel.ServerOptions()...)
//
// Every measurement is aggregated once for the Prometheus exporter, whose
// reader always exists. A consumer that needs the data too (Vigil's
// engine, through exporter.Poller) reads that aggregation with
// [Telemetry.CollectMetrics] rather than registering a reader of its own
// with [WithMetricReader]: the SDK aggregates every measurement once per
// reader. On a MeterProvider built by Setup with no [WithMetricReader],
// the server instrumentation aggregates its three histograms itself and
// every reader Setup creates collects them as a metric producer (see
// package httpserver); a delta reader gets them as deltas.
//
// # Exporters
//
// Each signal's exporters come from the variables of the OpenTelemetry
// specification, read with the SDK's own exporters (which parse every
// OTEL_EXPORTER_OTLP_* variable themselves: endpoints, headers, timeout,
// compression, TLS, temporality preference):
//
//   - OTEL_TRACES_EXPORTER: otlp, console, none. Default: otlp when
//     OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
//     set, else none.
//   - OTEL_METRICS_EXPORTER: otlp, prometheus ([Telemetry.MetricsHandler],
//     the /metrics endpoint; without it the handler answers 404), console,
//     none. Default: prometheus, plus otlp when OTEL_EXPORTER_OTLP_ENDPOINT
//     or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set.
//   - OTEL_LOGS_EXPORTER: otlp, console, none. Default: otlp when
//     OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is
//     set, else none.
//
// Each is a comma-separated list, as the specification allows; none may
// not be combined. Unlike the specification's default (otlp to
// localhost), nothing leaves the process until an endpoint is named.
// OTLP goes over OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else
// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf (the default) or grpc.
//
// contrib's autoexport is not used although the module proxy serves a
// version for this SDK (v0.72.0): it takes one exporter per variable
// (open-telemetry/opentelemetry-go-contrib#4471), its prometheus starts a
// second HTTP server instead of serving /metrics, and it builds the metric
// reader itself, so that the server histograms' producer and the drop
// counting below could not be attached.
//
// An OTEL_* value Setup or the SDK cannot use fails Setup with
// [ErrInvalidEnv] naming the variable, where the SDK alone would log it
// and go on without it: Setup listens to the SDK's reports while it builds
// the exporters and the TracerProvider (the sampler). A header value is
// never quoted.
//
// # Logs
//
// [Telemetry.Logger] writes each record to [WithLogger]'s handler with the
// trace_id and span_id of the record's context added, and, with a logs
// exporter, through the OpenTelemetry slog bridge
// (go.opentelemetry.io/contrib/bridges/otelslog), whose records carry the
// same IDs in their own fields. Both get the redaction rules of package
// internal/redact. [Logger] returns it, bound to a request's context, for
// handlers.
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
//   - every request that ends in a 5xx, panics, or takes at least the slow
//     threshold (1s, the slow threshold of exporter.Spans) has a sampled
//     server span whose trace ID is the one the client got in X-Trace-Id:
//     the server instrumentation starts a late span that
//     [httpserver.ForceSampling] always samples.
//
// The reason is cost: sampling every request tripled the middleware's
// per-request time (BENCHMARKS.md), while what alerts need (exporter.Spans
// forwards error and slow server spans to the engine, which links an alert
// to its latest error trace) is exactly the failing and slow requests.
// Wrap your own sampler in [httpserver.ForceSampling] to keep that
// guarantee.
//
// # Dropped telemetry
//
// A collector that is down or slow never blocks a request or the engine:
// span and log batches wait for their exporter in a bounded queue
// ([DefaultExportQueue] batches) behind the SDK's batch processors, and
// metric readers export on their own goroutines. What is dropped because
// the queue is full or an export failed is counted in
// vigil.exporter.dropped{signal="traces"|"metrics"|"logs"} and logged at
// most once per [DropLogInterval] per signal. Shutdown flushes what is
// queued within its context and stops every queue either way.
package telemetry
