package telemetry

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/time/rate"

	"github.com/vigilhq/vigil/instrumentation/names"
)

// DropLogInterval is the least time between two log lines about telemetry
// a signal's exporters dropped; the line says how many items were dropped
// since the previous one. Every drop is counted in vigil.exporter.dropped.
const DropLogInterval = 30 * time.Second

// drops counts the items one signal's exporters could not deliver, as
// vigil.exporter.dropped{signal=...}, and logs them at most once per
// DropLogInterval.
type drops struct {
	signal  string
	counter atomic.Pointer[metric.Int64Counter] // set by bind
	attrs   metric.AddOption
	logger  func() *slog.Logger
	every   rate.Sometimes
	since   atomic.Int64 // dropped since the last log line
	total   atomic.Int64 // dropped ever
}

// newDrops returns the drops of signal; they are logged from the start and
// counted once bind gave them the MeterProvider (which is built after the
// exporters that report to it).
func newDrops(signal string, logger func() *slog.Logger) *drops {
	return &drops{
		signal: signal,
		attrs:  metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", signal))),
		logger: logger,
		every:  rate.Sometimes{First: 1, Interval: DropLogInterval},
	}
}

// bind creates the counter on mp.
func (d *drops) bind(mp metric.MeterProvider) error {
	c, err := mp.Meter(ScopeName).Int64Counter(names.MetricExporterDropped,
		metric.WithUnit("{item}"),
		metric.WithDescription("Telemetry items an exporter failed to deliver, by signal."))
	if err != nil {
		return err
	}
	d.counter.Store(&c)
	return nil
}

// add counts n dropped items; why is the reason for the log line.
func (d *drops) add(n int, why string, err error) {
	if n <= 0 {
		return
	}
	if c := d.counter.Load(); c != nil {
		(*c).Add(context.Background(), int64(n), d.attrs)
	}
	d.since.Add(int64(n))
	d.total.Add(int64(n))
	d.every.Do(func() {
		attrs := []slog.Attr{
			slog.String("signal", d.signal),
			slog.Int64("dropped", d.since.Swap(0)),
			slog.String("reason", why),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		// Not the request's context: this line must not be correlated
		// with (or exported as part of) whatever trace was running.
		d.logger().LogAttrs(context.Background(), slog.LevelWarn, "telemetry export dropped items", attrs...)
	})
}
