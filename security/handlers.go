package security

import (
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/store"
)

// Paging bounds of [Handlers.Events].
const (
	DefaultEventsLimit = 100
	MaxEventsLimit     = 1000
)

// HandlersConfig configures [NewHandlers].
type HandlersConfig struct {
	// Store holds the events. Required for Events.
	Store EventStore
	// Auth reports the configured keys. Optional.
	Auth *Authenticator
	// SecureHeaders tells the posture whether [SecureHeaders] is mounted.
	SecureHeaders bool
	// CORS is the CORS configuration in effect.
	CORS CORSConfig
	// DemoFaults tells the posture that clients may inject faults by
	// header (VIGIL_DEMO_FAULTS): reported as a warning.
	DemoFaults bool
	// Recorder, when set, reports the event pipeline: dropped events and a
	// failing store are warnings. Optional.
	Recorder interface{ Stats() RecorderStats }
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
}

// Handlers serves GET /admin/security/events and GET /health/security.
type Handlers struct {
	cfg HandlersConfig
}

// NewHandlers returns the handlers.
func NewHandlers(cfg HandlersConfig) *Handlers {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handlers{cfg: cfg}
}

// EventsPage is the body of GET /admin/security/events. NextBefore, when
// set, is the `before` parameter of the next (older) page.
type EventsPage struct {
	Events     []store.SecurityEvent `json:"events"`
	NextBefore int64                 `json:"next_before,omitempty"`
}

var eventTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// EventsQuery is the parsed query of GET /admin/security/events.
type EventsQuery = store.SecurityFilter

// ParseEventsQuery validates type, since (RFC 3339 or a duration such as
// 1h, before now), limit (1..1000, default 100) and before (an event ID).
// Errors are httpapi.ParamErrors naming the parameter.
func ParseEventsQuery(get func(string) string, now time.Time) (store.SecurityFilter, error) {
	f := store.SecurityFilter{Limit: DefaultEventsLimit}
	if t := get("type"); t != "" {
		if !eventTypeRE.MatchString(t) {
			return f, &httpapi.ParamError{Name: "type", Reason: "must be an event type such as " + EventAuthnLoginFail}
		}
		f.Type = t
	}
	if s := get("since"); s != "" {
		if ts, err := time.Parse(time.RFC3339, s); err == nil {
			f.Since = ts
		} else if d, derr := time.ParseDuration(s); derr == nil && d > 0 && d <= 100*365*24*time.Hour {
			f.Since = now.Add(-d)
		} else {
			return f, &httpapi.ParamError{Name: "since", Reason: "must be an RFC 3339 time or a positive duration such as 1h"}
		}
	}
	limit, err := httpapi.Int("limit", get("limit"), DefaultEventsLimit, 1, MaxEventsLimit)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	if f.BeforeID, err = httpapi.Int64("before", get("before"), 0, 1, math.MaxInt64); err != nil {
		return f, &httpapi.ParamError{Name: "before", Reason: "must be a positive event id"}
	}
	return f, nil
}

// Events serves GET /admin/security/events?type=&since=&limit=&before=,
// newest first. Mount it behind Require(RoleAdmin).
func (h *Handlers) Events(c echo.Context) error {
	f, err := ParseEventsQuery(c.QueryParam, h.cfg.Now())
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	if h.cfg.Store == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "security event store not configured")
	}
	evs, err := h.cfg.Store.ListSecurityEvents(c.Request().Context(), f)
	if err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "security events unavailable").SetInternal(err)
	}
	page := EventsPage{Events: evs}
	if page.Events == nil {
		page.Events = []store.SecurityEvent{}
	}
	if len(evs) == f.Limit && len(evs) > 0 {
		page.NextBefore = evs[len(evs)-1].ID
	}
	return c.JSON(http.StatusOK, page)
}

// Posture serves GET /health/security as application/health+json:
// 200 for pass and warn, 503 for fail.
func (h *Handlers) Posture(c echo.Context) error {
	rep := h.Report(c.Request().Context(), IsTLS(c.Request()))
	return httpapi.WriteHealth(c, rep.Code(), rep)
}

// Register mounts GET /admin/security/events behind admin and GET
// /health/security.
func (h *Handlers) Register(e *echo.Echo, admin echo.MiddlewareFunc) {
	e.GET("/admin/security/events", h.Events, admin)
	e.GET("/health/security", h.Posture)
}

// Operations documents the routes [Handlers.Register] mounts.
func Operations() []apidocs.Operation {
	tags := []string{"Security"}
	return []apidocs.Operation{
		{Method: "GET", Path: "/health/security", Tags: tags, Summary: "Security posture",
			Responses: map[int]apidocs.Response{
				200: {Description: "posture: pass or warn", Body: PostureReport{}, ContentType: MediaTypeHealthJSON},
				503: {Description: "posture: fail", Body: PostureReport{}, ContentType: MediaTypeHealthJSON}}},
		{Method: "GET", Path: "/admin/security/events", Tags: tags, Summary: "Security events, newest first",
			Security: apidocs.Admins, Responses: apidocs.OK("a page of events", EventsPage{}), Errors: apidocs.StoreBacked,
			Params: []apidocs.Param{
				{Name: "type", In: "query", Description: "OWASP event type", Schema: apidocs.ParamSchema{Enum: EventTypes}},
				{Name: "since", In: "query", Description: "RFC 3339 time or a duration such as 1h", Example: "1h"},
				{Name: "limit", In: "query", Schema: apidocs.IntRange(1, MaxEventsLimit, DefaultEventsLimit)},
				{Name: "before", In: "query", Description: "page before this event ID", Schema: apidocs.ParamSchema{Type: "integer"}}}},
	}
}
