package security

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// Health statuses (draft-inadarei-api-health-check), the same model as
// GET /api/health.
const (
	StatusPass = httpapi.StatusPass
	StatusWarn = httpapi.StatusWarn
	StatusFail = httpapi.StatusFail
)

// MediaTypeHealthJSON is the media type of [PostureReport].
const MediaTypeHealthJSON = httpapi.ContentTypeHealth

// Check is one check of an application/health+json document.
type Check = httpapi.HealthComponent

// PostureReport is the security posture as application/health+json.
type PostureReport = httpapi.HealthResponse

// PostureWindow is the window of the event counts of the posture.
const PostureWindow = time.Hour

// Report computes the security posture: keys and admin key configured,
// TLS (as seen on the request, tls), secure headers, CORS, demo fault
// injection, the event recorder, and the authentication failures and
// rate-limit refusals of the last hour. Its
// status is warn when something should be fixed, fail only when the store
// cannot be read.
func (h *Handlers) Report(ctx context.Context, tls bool) PostureReport {
	now := h.cfg.Now()
	rep := PostureReport{Status: StatusPass, Description: "vigil security posture", Checks: map[string][]Check{}}
	add := func(name string, c Check) {
		c.Time = now
		rep.Add(name, c)
	}

	keys := map[Role]int{}
	if h.cfg.Auth != nil {
		keys, _ = h.cfg.Auth.KeyCountContext(ctx) // stored keys too; configured ones if the store fails
	}
	total := keys[RoleAdmin] + keys[RoleViewer] + keys[RoleClient]
	kc := Check{ComponentType: "system", ObservedValue: total, ObservedUnit: "keys", Status: StatusPass,
		Output: fmt.Sprintf("%d admin, %d viewer, %d client", keys[RoleAdmin], keys[RoleViewer], keys[RoleClient])}
	if total == 0 {
		kc.Status, kc.Output = StatusWarn, "no API keys configured (auth.keys, vigil keys create)"
	}
	add("auth:keys", kc)

	ac := Check{ComponentType: "system", ObservedValue: keys[RoleAdmin] > 0, Status: StatusPass}
	if keys[RoleAdmin] == 0 {
		ac.Status = StatusWarn
		ac.Output = "no admin key: admin routes answer 401; run vigil keys create NAME --role admin, or set " + EnvAdminToken + " or an auth.keys entry with role admin"
	}
	add("auth:admin", ac)

	tc := Check{ComponentType: "system", ObservedValue: tls, Status: StatusPass}
	if !tls {
		tc.Status = StatusWarn
		tc.Output = "request arrived over plain HTTP; terminate TLS in front of vigil and set X-Forwarded-Proto"
	}
	add("tls", tc)

	hc := Check{ComponentType: "system", ObservedValue: h.cfg.SecureHeaders, Status: StatusPass}
	if !h.cfg.SecureHeaders {
		hc.Status, hc.Output = StatusWarn, "secure response headers are disabled"
	}
	add("headers", hc)

	cc := Check{ComponentType: "system", ObservedValue: len(h.cfg.CORS.AllowedOrigins), ObservedUnit: "origins", Status: StatusPass, Output: "cors off"}
	if len(h.cfg.CORS.AllowedOrigins) > 0 {
		cc.Output = fmt.Sprintf("cors for %d origins, credentials %t", len(h.cfg.CORS.AllowedOrigins), h.cfg.CORS.AllowCredentials)
	}
	add("cors", cc)

	dc := Check{ComponentType: "system", ObservedValue: h.cfg.DemoFaults, Status: StatusPass, Output: "fault injection off"}
	if h.cfg.DemoFaults {
		dc.Status = StatusWarn
		dc.Output = "demo faults enabled (VIGIL_DEMO_FAULTS): any client can inject 500s with X-Demo-Fault and delays with X-Demo-Delay on the reference API; turn it off in production"
	}
	add("demo:faults", dc)

	if h.cfg.Recorder != nil {
		st := h.cfg.Recorder.Stats()
		rc := Check{ComponentType: "component", ObservedValue: st.Dropped, ObservedUnit: "events dropped", Status: StatusPass,
			Output: fmt.Sprintf("%d events recorded, %d persisted", st.Recorded, st.Persisted)}
		switch {
		case st.Failing:
			rc.Status = StatusWarn
			rc.Output = fmt.Sprintf("the store refuses security events: %d rows spooled, %d waiting in memory, %d events dropped", st.Spooled, st.Waiting, st.Dropped)
		case st.Dropped > 0:
			rc.Status = StatusWarn
			rc.Output = fmt.Sprintf("%d security events could not be recorded (see the security_events_dropped events)", st.Dropped)
		}
		add("events:recorder", rc)
	}

	for _, ev := range []struct{ check, typ string }{
		{"authn:failures", EventAuthnLoginFail},
		{"authz:failures", EventAuthzFail},
		{"ratelimit:exceeded", EventRateLimitExceeded},
	} {
		c := Check{ComponentType: "datastore", ObservedUnit: "events/1h", Status: StatusPass}
		if h.cfg.Store == nil {
			c.Status, c.Output = StatusWarn, "no event store"
		} else if n, err := h.cfg.Store.CountSecurityEvents(ctx, ev.typ, now.Add(-PostureWindow)); err != nil {
			c.Status, c.Output = StatusFail, "security events unavailable: "+err.Error()
		} else {
			c.ObservedValue = n
		}
		add(ev.check, c)
	}
	return rep
}
