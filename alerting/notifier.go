package alerting

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/store"
)

// This file puts today's dispatcher (dispatch.go) behind the Evaluator's
// Notifier interface: dispatchEnv is everything the dispatcher reads,
// instead of the whole engine.

// DispatchStore is the part of the store notifications use.
type DispatchStore interface {
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	GetNotification(ctx context.Context, receiver, groupKey string) (store.NotificationEntry, error)
	PutNotification(ctx context.Context, e store.NotificationEntry) error
}

// Recorder appends a standalone event to an alert's history and publishes
// it (History).
type Recorder interface {
	Record(ctx context.Context, a store.Alert, ev store.AlertEvent)
}

var _ Recorder = (*History)(nil)

// dispatchEnv is what the dispatcher needs.
type dispatchEnv struct {
	cfg  Config // Receivers, Route, ExternalURL
	deps struct {
		Store      DispatchStore
		HTTPClient *http.Client
	}
	log     *slog.Logger
	now     func() time.Time
	leader  func() bool
	history Recorder
	metrics *notifyMetrics
}

func (e *dispatchEnv) isLeader() bool { return e.leader == nil || e.leader() }

// record appends a notification event at now to a's history.
func (e *dispatchEnv) record(ctx context.Context, a store.Alert, ev store.AlertEvent, now time.Time) {
	ev.Time = now
	e.history.Record(ctx, a, ev)
}

// notifyMetrics counts notifications.
type notifyMetrics struct{ notifications metric.Int64Counter }

func newNotifyMetrics(mp metric.MeterProvider) (*notifyMetrics, error) {
	c, err := mp.Meter(meterName).Int64Counter(MetricNotifications, metric.WithUnit("{notification}"),
		metric.WithDescription("Notifications sent by integration and outcome."))
	if err != nil {
		return nil, err
	}
	return &notifyMetrics{notifications: c}, nil
}

func (m *notifyMetrics) notified(ctx context.Context, integration string, err error) {
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	m.notifications.Add(ctx, 1, metric.WithAttributes(attribute.String("integration", integration), attribute.String("outcome", outcome)))
}

var _ Notifier = (*dispatcher)(nil)

// Notify decides which notifications are due and sends them in the
// background.
func (d *dispatcher) Notify(ctx context.Context, active []store.Alert, now time.Time) error {
	return d.dispatch(ctx, active, now)
}

// Wait blocks until notifications in flight stop.
func (d *dispatcher) Wait() { d.wait() }

// forget drops what the dispatcher read in earlier cycles: after a cycle
// as a follower it is stale.
func (d *dispatcher) forget() { d.resolvedValid = false }
