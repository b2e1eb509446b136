package telemetry

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// newMetricExporter builds the SDK's exporter of one OTEL_METRICS_EXPORTER
// name other than prometheus. The OTLP exporters read every
// OTEL_EXPORTER_OTLP_[METRICS_]* variable themselves, the temporality
// preference included.
func newMetricExporter(ctx context.Context, name, protocol string) (sdkmetric.Exporter, error) {
	switch {
	case name == ExporterConsole:
		return stdoutmetric.New()
	case protocol == ProtocolGRPC:
		return otlpmetricgrpc.New(ctx)
	default:
		return otlpmetrichttp.New(ctx)
	}
}

// metricReaders returns one periodic reader (OTEL_METRIC_EXPORT_INTERVAL
// and _TIMEOUT apply) per pushing exporter the environment selects. When
// the server instrumentation aggregates its histograms itself (http is
// not nil), every reader gets them as a producer, in the temporality its
// exporter asks for.
func metricReaders(ctx context.Context, env exporterEnv, http sdkmetric.Producer, d *drops, track func(func(context.Context) error)) ([]sdkmetric.Reader, error) {
	var out []sdkmetric.Reader
	for _, name := range env.metrics {
		if name == ExporterPrometheus {
			continue // Setup's own reader
		}
		var exp sdkmetric.Exporter
		err := captureConfigErrors(metricsSignal, func() (err error) {
			exp, err = newMetricExporter(ctx, name, env.protocols[metricsSignal.name])
			return err
		})
		if err != nil {
			if exp != nil {
				err = errors.Join(err, exp.Shutdown(ctx))
			}
			for _, r := range out {
				err = errors.Join(err, r.Shutdown(ctx))
			}
			return nil, fmt.Errorf("metrics exporter %s: %w", name, err)
		}
		track(exp.Shutdown)
		var opts []sdkmetric.PeriodicReaderOption
		if http != nil {
			opts = append(opts, sdkmetric.WithProducer(newTemporalProducer(http, exp.Temporality(sdkmetric.InstrumentKindHistogram))))
		}
		out = append(out, sdkmetric.NewPeriodicReader(&countingMetricExporter{Exporter: exp, drops: d}, opts...))
	}
	return out, nil
}

// countingMetricExporter counts the data points of a failed export in
// vigil.exporter.dropped{signal="metrics"}. The reader exports on its own
// goroutine, so a slow collector delays only the next collection of that
// reader, never a request or the engine (which reads the Prometheus
// reader).
type countingMetricExporter struct {
	sdkmetric.Exporter
	drops *drops
}

// Export exports rm; a failure is counted and logged (rate-limited) here
// and not returned, so the reader does not report it once more through the
// SDK's error handler on every interval.
func (e *countingMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if err := e.Exporter.Export(ctx, rm); err != nil {
		e.drops.add(dataPoints(rm), "export failed", err)
	}
	return nil
}

// dataPoints counts the data points of rm.
func dataPoints(rm *metricdata.ResourceMetrics) int {
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[float64]:
				n += len(d.DataPoints)
			case metricdata.Sum[int64]:
				n += len(d.DataPoints)
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[int64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[int64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[float64]:
				n += len(d.DataPoints)
			case metricdata.Summary:
				n += len(d.DataPoints)
			}
		}
	}
	return n
}
