package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/store"
)

// Security event types (OWASP Logging Vocabulary).
const (
	EventAuthnLoginFail      = "authn_login_fail"
	EventAuthnLoginFailMax   = "authn_login_fail_max"
	EventAuthzFail           = "authz_fail"
	EventAuthzAdmin          = "authz_admin"
	EventRateLimitExceeded   = "excess_rate_limit_exceeded"
	EventInputValidationFail = "input_validation_fail"
	EventMaliciousExcess404  = "malicious_excess_404"
	// EventDropped is the row a [Recorder] writes for the events it could
	// not persist: its Count is how many, Time and LastAt when.
	EventDropped = "security_events_dropped"
)

// EventTypes lists the event types Vigil records.
var EventTypes = []string{
	EventAuthnLoginFail, EventAuthnLoginFailMax, EventAuthzFail, EventAuthzAdmin,
	EventRateLimitExceeded, EventInputValidationFail, EventMaliciousExcess404, EventDropped,
}

// EventStore is the part of the store the security package uses.
type EventStore interface {
	AppendSecurityEvents(ctx context.Context, es []store.SecurityEvent) (int, error)
	ListSecurityEvents(ctx context.Context, f store.SecurityFilter) ([]store.SecurityEvent, error)
	CountSecurityEvents(ctx context.Context, typ string, since time.Time) (int64, error)
}

// EventFrom builds an event of type typ from the request of c: client
// (principal name), IP, method, route (the registered path) and trace ID.
func EventFrom(c echo.Context, typ, detail string) store.SecurityEvent {
	e := store.SecurityEvent{
		Type:   typ,
		Level:  "WARN",
		IP:     c.RealIP(),
		Method: c.Request().Method,
		Route:  c.Path(),
		Detail: detail,
	}
	if e.Route == "" {
		e.Route = "(unmatched)"
	}
	if p, ok := PrincipalFrom(c); ok {
		e.Client = p.Name
	}
	if sc := trace.SpanContextFromContext(c.Request().Context()); sc.HasTraceID() {
		e.TraceID = sc.TraceID().String()
	}
	return e
}

// Counts returns the number of events of each of [EventTypes] since since.
func Counts(ctx context.Context, st EventStore, since time.Time) (map[string]int64, error) {
	out := make(map[string]int64, len(EventTypes))
	var errs []error
	for _, t := range EventTypes {
		n, err := st.CountSecurityEvents(ctx, t, since)
		if err != nil {
			errs = append(errs, fmt.Errorf("count %s: %w", t, err))
			continue
		}
		out[t] = n
	}
	return out, errors.Join(errs...)
}
