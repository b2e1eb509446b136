// Package exporter converts OpenTelemetry SDK output into Vigil's own,
// self-contained data for the in-process engine.
//
// [Metrics] is an sdk/metric Exporter with delta temporality for counters and
// histograms. Register it on the application's MeterProvider next to the
// Prometheus reader:
//
//	m := exporter.NewMetrics(store, exporter.WithMeterProvider(mp))
//	reader := sdkmetric.NewPeriodicReader(m, sdkmetric.WithInterval(evalInterval))
//
// Each collection becomes a batch of [Sample] values handed to a [Sink].
//
// [Poller] is the cheaper way, and the one the application uses: instead of
// registering a second reader (which makes the SDK aggregate every
// measurement twice), it reads the Prometheus exporter's cumulative reader
// every evaluation interval and converts the increases into the same delta
// [Sample] values:
//
//	p := exporter.NewPoller(tel.CollectMetrics, store, evalInterval)
//	defer p.Shutdown(ctx) // before the MeterProvider shuts down
//
// [Spans] is an sdk/trace SpanExporter. It forwards failing (status Error or
// HTTP status ≥ 500) and slow server spans as [SpanRecord] values to a
// [SpanSink], and keeps a bounded ring of recent spans of every kind that
// [OTLPJSON] renders as an OTLP/JSON ExportTraceServiceRequest.
//
// # Contract
//
// Both exporters copy everything they keep (the SDK reuses what it hands
// over), honour the context they are given and never block the SDK: batches
// go through a bounded queue drained by one goroutine into the sink. When the
// queue is full the batch is dropped and counted in the
// vigil.exporter.dropped counter (attribute signal=metrics|spans). The queue
// is preferred over a synchronous Append because the sink takes a write lock
// that competes with queries; a slow query must not stall the SDK's
// collection. After Shutdown every method returns [ErrExporterShutdown].
//
// The package knows nothing about alerting or storage: it declares the
// interfaces it needs ([Sink], [SpanSink]).
package exporter
