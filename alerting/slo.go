package alerting

import (
	"regexp"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/series"
)

// SLO is one service-level objective: the share of good (non-5xx) requests
// to a route, or to a route family, over a compliance window. It is
// declared once, in the `slos` section of the configuration (DefaultSLOs
// without one), and drives everything about it: the burn-rate rules (kind
// slo_burn_rate with `slo`), their Prometheus export, `/api/slos` and the
// reports.
type SLO struct {
	// Name identifies the SLO (label and gauge attribute slo). Required,
	// unique.
	Name string `yaml:"name" json:"name"`
	// Route is the route template the SLO covers, e.g. /api/chat. One of
	// route and family is required.
	Route string `yaml:"route,omitempty" json:"route"`
	// Family is the route family the SLO covers: FamilyAPI or
	// FamilyManagement (see RouteFamily).
	Family string `yaml:"family,omitempty" json:"family,omitempty"`
	// Objective is the target ratio of good requests, e.g. 0.999. Required,
	// strictly between 0 and 1.
	Objective float64 `yaml:"objective" json:"objective"`
	// Window is the compliance period. Optional. Default 30d; at most the
	// usage retention.
	Window Duration `yaml:"window" json:"window"`
	// LatencyThreshold adds a latency SLI: requests at or under it are good.
	// Optional.
	LatencyThreshold Duration `yaml:"latency_threshold,omitempty" json:"latency_threshold,omitempty"`
}

// SLO limits.
const (
	DefaultSLOWindow = 30 * 24 * time.Hour
	MaxSLOs          = 100
)

// Route families. A route family is a set of routes told apart by their
// route template (the http.route attribute):
//
//   - FamilyAPI is the API the service exists for: every matched route
//     that is not Vigil's own. Under `vigil serve` that is the reference
//     AI Learning API (/api/chat, /api/users/:id, /api/login, /api/public).
//   - FamilyManagement is Vigil's management API: /api/alerts…,
//     /api/silences…, /api/metrics/…, /api/usage, /api/reports, /api/slos,
//     /api/traces…, /api/readiness/… and /admin/….
//
// Neither holds the plumbing (/, /health…, /api/health, /ready,
// /metrics…, /ws/…, /docs…, /openapi.json, /ui…) or unmatched requests
// (no route): probes, scrapes and 404s are not calls of an API.
const (
	FamilyAPI        = "api"
	FamilyManagement = "management"
)

// Route regexps (RE2, anchored as Prometheus and the series store anchor
// them; no backslashes, so they read the same in PromQL strings).
const (
	managementRoutes = `/(api/(alerts|silences|metrics|usage|reports|slos|traces|readiness)|admin)(/.*)?`
	// vigilRoutes are Vigil's own routes (management and plumbing) and
	// unmatched requests (the empty alternative): the complement of the
	// API family.
	vigilRoutes = `/|/(api/(alerts|silences|metrics|usage|reports|slos|traces|readiness|health)|admin|health|ready|metrics|ws|docs|ui)(/.*)?|/openapi[.]json|`
)

var (
	managementRE = regexp.MustCompile(`^(?:` + managementRoutes + `)$`)
	vigilRE      = regexp.MustCompile(`^(?:` + vigilRoutes + `)$`)
)

// RouteFamily returns the family of a route template: FamilyAPI,
// FamilyManagement, or "" for Vigil's plumbing and unmatched requests.
func RouteFamily(route string) string {
	switch {
	case managementRE.MatchString(route):
		return FamilyManagement
	case vigilRE.MatchString(route):
		return ""
	}
	return FamilyAPI
}

// DefaultSLOs are the SLOs without a `slos` section: one per route family,
// 99.9 % of API requests and 99 % of management requests good over 30 days.
func DefaultSLOs() []SLO {
	return []SLO{
		{Name: FamilyAPI, Family: FamilyAPI, Objective: 0.999, Window: Duration(DefaultSLOWindow)},
		{Name: FamilyManagement, Family: FamilyManagement, Objective: 0.99, Window: Duration(DefaultSLOWindow)},
	}
}

// CheckSLOs fills defaults (the window) and validates slos; retention bounds
// the windows (0: no bound). Errors name the SLO's index and field.
func CheckSLOs(slos []SLO, retention time.Duration) error {
	if len(slos) > MaxSLOs {
		return configfile.Errorf("", "at most %d", MaxSLOs)
	}
	seen := map[string]bool{}
	for i := range slos {
		s := &slos[i]
		if s.Window == 0 {
			s.Window = Duration(DefaultSLOWindow)
		}
		if err := s.validate(retention); err != nil {
			return configfile.Under(configfile.Index("", i), err)
		}
		if seen[s.Name] {
			return configfile.Errorf(configfile.Index("", i)+".name", "duplicate name %q", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

func (s SLO) validate(retention time.Duration) error {
	switch {
	case s.Name == "" || len(s.Name) > 100:
		return configfile.Errorf("name", "required, at most 100 characters")
	case s.Route != "" && s.Family != "":
		return configfile.Errorf("route", "give route or family, not both")
	case s.Family != "" && s.Family != FamilyAPI && s.Family != FamilyManagement:
		return configfile.Errorf("family", "must be %s or %s", FamilyAPI, FamilyManagement)
	case s.Family == "" && (s.Route == "" || s.Route[0] != '/' || len(s.Route) > 256):
		return configfile.Errorf("route", "must be a route template starting with / (or give family)")
	case !(s.Objective > 0 && s.Objective < 1):
		return configfile.Errorf("objective", "must be between 0 and 1 (exclusive), e.g. 0.999")
	case s.Window.D() < time.Hour:
		return configfile.Errorf("window", "must be at least 1h")
	case retention > 0 && s.Window.D() > retention:
		return configfile.Errorf("window", "must not exceed the usage retention (%s)", Duration(retention))
	case s.LatencyThreshold < 0 || s.LatencyThreshold.D() > time.Minute:
		return configfile.Errorf("latency_threshold", "must be between 0 and 1m")
	}
	return nil
}

// MatchRoute reports whether the SLO covers requests to route.
func (s SLO) MatchRoute(route string) bool {
	switch s.Family {
	case "":
		return route == s.Route
	case FamilyManagement:
		return managementRE.MatchString(route)
	}
	return !vigilRE.MatchString(route)
}

// Matchers select the SLO's requests in the series store.
func (s SLO) Matchers() []series.Matcher {
	m := series.Matcher{Name: instrumentation.AttrRoute, Type: series.MatchEqual, Value: s.Route}
	switch s.Family {
	case FamilyManagement:
		m.Type, m.Value = series.MatchRegexp, managementRoutes
	case FamilyAPI:
		m.Type, m.Value = series.MatchNotRegexp, vigilRoutes
	}
	return []series.Matcher{m}
}

// PromMatchers select the SLO's requests in PromQL.
func (s SLO) PromMatchers() []string {
	switch s.Family {
	case FamilyManagement:
		return []string{instrumentation.PromAttrRoute + "=~" + strconv.Quote(managementRoutes)}
	case FamilyAPI:
		return []string{instrumentation.PromAttrRoute + "!~" + strconv.Quote(vigilRoutes)}
	}
	return []string{instrumentation.PromAttrRoute + "=" + strconv.Quote(s.Route)}
}
