package alerting

// meterName is the instrumentation scope of the package's instruments.
const meterName = "github.com/vigilhq/vigil/alerting"

// Instrument names of the notification pipeline and the event publisher
// (the active-alerts gauge is instrumentation.MetricAlertsActive).
const (
	MetricNotifications   = "vigil.alerts.notifications"      // counter: integration, outcome (success|failure)
	MetricSubscriberDrops = "vigil.alerts.subscriber.dropped" // counter
)
