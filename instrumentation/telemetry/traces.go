package telemetry

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// newSpanExporter builds the SDK's exporter of one OTEL_TRACES_EXPORTER
// name. The OTLP exporters read every OTEL_EXPORTER_OTLP_[TRACES_]*
// variable (endpoint, headers, timeout, compression, TLS) themselves.
func newSpanExporter(ctx context.Context, name, protocol string) (sdktrace.SpanExporter, error) {
	switch {
	case name == ExporterConsole:
		return stdouttrace.New()
	case protocol == ProtocolGRPC:
		return otlptracegrpc.New(ctx)
	default:
		return otlptracehttp.New(ctx)
	}
}

// spanProcessors returns one batch span processor (OTEL_BSP_* apply) per
// exporter the environment selects, each exporting through a bounded
// queue that counts what it drops.
func spanProcessors(ctx context.Context, env exporterEnv, d *drops, track func(func(context.Context) error)) ([]sdktrace.SpanProcessor, error) {
	var out []sdktrace.SpanProcessor
	for _, name := range env.traces {
		var exp sdktrace.SpanExporter
		err := captureConfigErrors(tracesSignal, func() (err error) {
			exp, err = newSpanExporter(ctx, name, env.protocols[tracesSignal.name])
			return err
		})
		if err != nil {
			if exp != nil {
				err = errors.Join(err, exp.Shutdown(ctx))
			}
			for _, p := range out {
				err = errors.Join(err, p.Shutdown(ctx))
			}
			return nil, fmt.Errorf("traces exporter %s: %w", name, err)
		}
		q := newQueuedSpanExporter(exp, d)
		track(q.Shutdown)
		out = append(out, sdktrace.NewBatchSpanProcessor(q))
	}
	return out, nil
}

// queuedSpanExporter hands the batch processor's batches to a [queue].
type queuedSpanExporter struct {
	exp sdktrace.SpanExporter
	q   *queue[sdktrace.ReadOnlySpan]
}

func newQueuedSpanExporter(exp sdktrace.SpanExporter, d *drops) *queuedSpanExporter {
	return &queuedSpanExporter{exp: exp, q: newQueue(DefaultExportQueue, exp.ExportSpans, slices.Clone[[]sdktrace.ReadOnlySpan], d)}
}

// ExportSpans queues spans (the spans are immutable snapshots; the slice
// is copied) and returns at once.
func (e *queuedSpanExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.q.enqueue(spans)
}

// Shutdown exports what is queued, then shuts the exporter down.
func (e *queuedSpanExporter) Shutdown(ctx context.Context) error {
	return errors.Join(e.q.shutdown(ctx), e.exp.Shutdown(ctx))
}

var _ sdktrace.SpanExporter = (*queuedSpanExporter)(nil)
