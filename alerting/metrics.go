package alerting

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/store"
)

// MetricSubscriberDrops counts events dropped for slow subscribers (the
// active-alerts gauge is instrumentation.MetricAlertsActive; the
// notification instruments are notify's).
const MetricSubscriberDrops = "vigil.alerts.subscriber.dropped" // counter

type metrics struct {
	dropped metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider, e *Engine) (*metrics, error) {
	m := mp.Meter("github.com/vigilhq/vigil/alerting")
	var out metrics
	var err error
	if out.dropped, err = m.Int64Counter(MetricSubscriberDrops, metric.WithUnit("{event}"),
		metric.WithDescription("Alert events dropped because a subscriber was slow.")); err != nil {
		return nil, err
	}
	_, err = m.Int64ObservableGauge(instrumentation.MetricAlertsActive, metric.WithUnit("{alert}"),
		metric.WithDescription("Active alerts by state and severity."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			for k, n := range e.counts {
				o.Observe(n, metric.WithAttributes(attribute.String("state", k[0]), attribute.String("severity", k[1])))
			}
			return nil
		}))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// setCounts records the active alerts for the gauge. Every known severity
// and state is reported, zero included, so a cleared alert drops to 0.
func (e *Engine) setCounts(active []store.Alert) {
	c := map[[2]string]int64{}
	for _, st := range []string{store.StatePending, store.StateFiring} {
		for _, sev := range []string{SeverityCritical, SeverityError, SeverityWarning, SeverityInfo} {
			c[[2]string{st, sev}] = 0
		}
	}
	for _, a := range active {
		c[[2]string{a.State, a.Severity}]++
	}
	e.mu.Lock()
	e.counts = c
	e.mu.Unlock()
}
