package names

// The security event pipeline: events that could not be persisted
// (attribute reason) and event rows waiting on disk for the store.
const (
	MetricSecurityEventsDropped = "vigil.security.events.dropped" // counter: reason
	PromSecurityEventsDropped   = "vigil_security_events_dropped_total"
	MetricSecurityEventsSpooled = "vigil.security.events.spooled" // gauge, rows
	PromSecurityEventsSpooled   = "vigil_security_events_spooled"
)
