package notify

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrument names. The meter is the alerting package's, so the series
// keep their scope.
const (
	MetricNotifications = "vigil.alerts.notifications"      // counter: integration, outcome (success|failure)
	MetricOwed          = "vigil.alerts.notifications.owed" // gauge: receiver
	meterName           = "github.com/vigilhq/vigil/alerting"
)

type metrics struct {
	notifications metric.Int64Counter

	reg  metric.Registration
	mu   sync.Mutex
	owed map[string]int64 // by receiver
}

func newMetrics(mp metric.MeterProvider, receivers []string) (*metrics, error) {
	m := mp.Meter(meterName)
	out := &metrics{owed: map[string]int64{}}
	for _, r := range receivers {
		out.owed[r] = 0
	}
	var err error
	if out.notifications, err = m.Int64Counter(MetricNotifications, metric.WithUnit("{notification}"),
		metric.WithDescription("Notifications sent by integration and outcome.")); err != nil {
		return nil, err
	}
	g, err := m.Int64ObservableGauge(MetricOwed, metric.WithUnit("{notification}"),
		metric.WithDescription("Notifications that could not be delivered yet and are still owed, by receiver (as the alerting leader knows them; 0 on followers)."))
	if err != nil {
		return nil, err
	}
	out.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		out.mu.Lock()
		defer out.mu.Unlock()
		for r, n := range out.owed {
			o.ObserveInt64(g, n, metric.WithAttributes(attribute.String("receiver", r)))
		}
		return nil
	}, g)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (m *metrics) notified(ctx context.Context, integration string, err error) {
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	m.notifications.Add(ctx, 1, metric.WithAttributes(attribute.String("integration", integration), attribute.String("outcome", outcome)))
}

// setOwed replaces the owed counts; receivers missing from counts are 0.
func (m *metrics) setOwed(counts map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for r := range m.owed {
		m.owed[r] = counts[r]
	}
}
