package app

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// configRoute is a route the configuration names, with its key.
type configRoute struct{ key, route string }

// configRoutes lists the routes named by alert rules, rate limits and SLOs.
func configRoutes(cfg *FileConfig) []configRoute {
	var out []configRoute
	for i, r := range cfg.Alerting.Rules {
		if r.Route != "" {
			out = append(out, configRoute{fmt.Sprintf("alerting.rules[%d].route", i), r.Route})
		}
	}
	for i, l := range cfg.RateLimit.Limits {
		out = append(out, configRoute{fmt.Sprintf("ratelimit.limits[%d].route", i), l.Route})
	}
	for i, s := range cfg.SLOs {
		if s.Route != "" { // an SLO of a route family names no route
			out = append(out, configRoute{fmt.Sprintf("slos[%d].route", i), s.Route})
		}
	}
	return out
}

// warnUnservedRoutes warns, naming the served routes, about every route the
// configuration names that no handler of e serves: such a rule, limit or
// SLO matches nothing and would otherwise fail silently. Call it once every
// route is mounted. A rate limit also covers the routes below its own.
func warnUnservedRoutes(logger *slog.Logger, e *echo.Echo, cfg *FileConfig) {
	var served []string
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Path, "/") && !strings.Contains(r.Path, "*") && !slices.Contains(served, r.Path) {
			served = append(served, r.Path)
		}
	}
	slices.Sort(served)
	for _, cr := range configRoutes(cfg) {
		prefix := strings.HasPrefix(cr.key, "ratelimit.")
		if slices.ContainsFunc(served, func(p string) bool {
			return p == cr.route || (prefix && strings.HasPrefix(p, strings.TrimSuffix(cr.route, "/")+"/"))
		}) {
			continue
		}
		logger.Warn("configuration names a route no handler serves; it matches nothing",
			"key", cr.key, "route", cr.route, "known_routes", strings.Join(served, " "))
	}
}
