package alerting

import (
	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/alerting/silence"
)

// The components behind the Evaluator's Silencer and Notifier.
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

// Recorder appends a standalone event to an alert's history and publishes
// it (History); the notification pipeline records deliveries through it.
type Recorder = notify.Recorder

var _ Recorder = (*History)(nil)
