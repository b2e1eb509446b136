// Package telemetry sets up OpenTelemetry for a Go service: the Resource,
// a MeterProvider exporting to its own Prometheus registry, a
// TracerProvider, the W3C propagator, and Go runtime, host and process
// metrics. It imports no web framework; the framework adapters
// (package instrumentation for echo v4, instrumentation/echov5,
// instrumentation/nethttp) take its providers through
// [Telemetry.ServerOptions].
//
// # Setup
//
// [Setup] builds the Resource (service.name "vigil" unless
// [WithServiceName] or OTEL_SERVICE_NAME says otherwise), a MeterProvider
// exporting to its own Prometheus registry, and a TracerProvider. Traces go
// over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (protocol from
// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, the default, or grpc); with
// neither, nothing touches the network. Go runtime, host and process
// metrics are started unless disabled.
//
//	tel, err := telemetry.Setup(ctx, telemetry.WithServiceVersion(version))
//	if err != nil { ... }
//	defer tel.Shutdown(context.WithoutCancel(ctx))
//	handler := nethttp.NewHandler(mux, tel.ServerOptions()...)
//
// Every measurement is aggregated once, for the Prometheus exporter. A
// consumer that needs the data too (Vigil's engine, through
// exporter.Poller) reads that aggregation with [Telemetry.CollectMetrics]
// rather than registering a reader of its own with [WithMetricReader]: the
// SDK aggregates every measurement once per reader. On a MeterProvider
// built by Setup with no [WithMetricReader], the server instrumentation
// aggregates its three histograms itself and the Prometheus exporter's
// reader collects them as a metric producer (see package httpserver).
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
// Spans that fail to export over OTLP are counted in vigil.exporter.dropped
// {signal="traces"}. The SDK's batch span processor drops spans silently
// when its queue (2048 by default, OTEL_BSP_MAX_QUEUE_SIZE) is full; those
// are not counted.
package telemetry
