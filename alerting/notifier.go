package alerting

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/store"
)

// Silencer marks a cycle's active alerts silenced or unsilenced (in the
// store, with a history event), updating active in place. The evaluator
// calls it after persisting a cycle; *silence.Silences implements it.
type Silencer interface {
	Apply(ctx context.Context, active []store.Alert, now time.Time) error
}

// Notifier groups, routes and delivers the notifications of a cycle's
// active alerts in the background (the leader only); Wait waits for the
// deliveries in flight. *notify.Pipeline implements it.
type Notifier interface {
	Notify(ctx context.Context, active []store.Alert, now time.Time) error
	Wait()
}

var (
	_ Silencer = (*silence.Silences)(nil)
	_ Notifier = (*notify.Pipeline)(nil)
)

// The webhook payload Vigil sends and ingests (Alertmanager v4).
type (
	WebhookPayload = notify.WebhookPayload
	WebhookAlert   = notify.WebhookAlert
)

// Errors of the notification and silence components, under their old names.
var (
	ErrNotify         = notify.ErrNotify
	ErrInvalidSilence = silence.ErrInvalid
)

// MetricNotifications counts notifications by integration and outcome.
const MetricNotifications = notify.MetricNotifications

// recorder gives the components the engine's history: append, publish.
type recorder struct{ e *Engine }

func (r recorder) Record(ctx context.Context, a store.Alert, ev store.AlertEvent) {
	r.e.record(ctx, a, ev, ev.Time)
}

// notifyConfig is the pipeline's configuration from the engine's.
func (e *Engine) notifyConfig() notify.Config {
	return notify.Config{
		Route: e.cfg.Route.tree(), Receivers: e.cfg.Receivers, Store: e.deps.Store, Recorder: recorder{e},
		Muter: e.silences, IsLeader: e.isLeader, Logger: e.log, Meter: e.deps.MeterProvider,
		HTTPClient: e.deps.HTTPClient, Now: e.now, ExternalURL: e.cfg.ExternalURL,
	}
}

// Silences returns the silences component, for the API.
func (e *Engine) Silences() *silence.Silences { return e.silences }

// CreateSilence validates and stores a silence (see silence.Silences.Create).
func (e *Engine) CreateSilence(ctx context.Context, s store.Silence) (store.Silence, error) {
	out, err := e.silences.Create(ctx, s)
	return out.Silence, err
}

// ExpireSilence ends a silence now.
func (e *Engine) ExpireSilence(ctx context.Context, id string) error {
	return e.silences.Expire(ctx, id)
}

// ValidateSilence checks a silence (see silence.Validate).
func ValidateSilence(s store.Silence) error { return silence.Validate(s) }
