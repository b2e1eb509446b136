package alerting

// meterName is the instrumentation scope of the package's instruments.
const meterName = "github.com/vigilhq/vigil/alerting"

// MetricSubscriberDrops counts events dropped for slow subscribers (the
// active-alerts gauge is instrumentation.MetricAlertsActive; the
// notification instruments are notify's, see MetricNotifications).
const MetricSubscriberDrops = "vigil.alerts.subscriber.dropped" // counter
