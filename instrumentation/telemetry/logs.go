package telemetry

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutlog"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// newLogExporter builds the SDK's exporter of one OTEL_LOGS_EXPORTER name.
// The OTLP exporters read every OTEL_EXPORTER_OTLP_[LOGS_]* variable
// themselves.
func newLogExporter(ctx context.Context, name, protocol string) (sdklog.Exporter, error) {
	switch {
	case name == ExporterConsole:
		return stdoutlog.New()
	case protocol == ProtocolGRPC:
		return otlploggrpc.New(ctx)
	default:
		return otlploghttp.New(ctx)
	}
}

// newLoggerProvider returns a LoggerProvider with one batch processor
// (OTEL_BLRP_* apply) per exporter the environment selects, each exporting
// through a bounded queue that counts what it drops; nil when none is
// selected.
func newLoggerProvider(ctx context.Context, res *resource.Resource, env exporterEnv, d *drops, track func(func(context.Context) error)) (*sdklog.LoggerProvider, error) {
	if len(env.logs) == 0 {
		return nil, nil
	}
	opts := []sdklog.LoggerProviderOption{sdklog.WithResource(res)}
	var built []sdklog.Exporter
	for _, name := range env.logs {
		var exp sdklog.Exporter
		err := captureConfigErrors(logsSignal, func() (err error) {
			exp, err = newLogExporter(ctx, name, env.protocols[logsSignal.name])
			return err
		})
		if err != nil {
			if exp != nil {
				built = append(built, exp)
			}
			for _, e := range built {
				err = errors.Join(err, e.Shutdown(ctx))
			}
			return nil, fmt.Errorf("logs exporter %s: %w", name, err)
		}
		built = append(built, exp)
		q := newQueuedLogExporter(exp, d)
		track(q.Shutdown)
		opts = append(opts, sdklog.WithProcessor(sdklog.NewBatchProcessor(q)))
	}
	return sdklog.NewLoggerProvider(opts...), nil
}

// queuedLogExporter hands the batch processor's batches to a [queue].
type queuedLogExporter struct {
	exp sdklog.Exporter
	q   *queue[sdklog.Record]
}

func newQueuedLogExporter(exp sdklog.Exporter, d *drops) *queuedLogExporter {
	return &queuedLogExporter{exp: exp, q: newQueue(DefaultExportQueue, exp.Export, cloneRecords, d)}
}

// cloneRecords copies records so that they share nothing with the batch
// processor's buffer, which it reuses once Export returns.
func cloneRecords(rs []sdklog.Record) []sdklog.Record {
	out := make([]sdklog.Record, len(rs))
	for i := range rs {
		out[i] = rs[i].Clone()
	}
	return out
}

// Export queues records and returns at once.
func (e *queuedLogExporter) Export(_ context.Context, records []sdklog.Record) error {
	return e.q.enqueue(records)
}

// ForceFlush waits for what is queued, then flushes the exporter.
func (e *queuedLogExporter) ForceFlush(ctx context.Context) error {
	return errors.Join(e.q.flush(ctx), e.exp.ForceFlush(ctx))
}

// Shutdown exports what is queued, then shuts the exporter down.
func (e *queuedLogExporter) Shutdown(ctx context.Context) error {
	return errors.Join(e.q.shutdown(ctx), e.exp.Shutdown(ctx))
}

var _ sdklog.Exporter = (*queuedLogExporter)(nil)
