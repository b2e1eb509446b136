package instrumentation

import (
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
	"github.com/vigilhq/vigil/instrumentation/internal/cowmap"
)

// RouteOf returns the route template echo matched for c (for example
// "/api/users/:id") and whether a registered route matched at all.
//
// A request is unmatched when echo answered it with its 404 or 405 fallback
// handler, when echo found no path, or when the path belongs to a route
// registered with [echo.Echo.RouteNotFound] (such as "/*") and no route of
// the request's method. For unmatched requests the route is "": a raw path
// never comes out of this function, so callers may use the route as a metric
// attribute without a cardinality risk.
func RouteOf(c echo.Context) (route string, matched bool) {
	p := c.Path()
	if p == "" {
		return "", false
	}
	if h := c.Handler(); h == nil || isFallback(h) {
		return "", false
	}
	if strings.IndexByte(p, '*') >= 0 && isNotFoundRoute(c.Echo(), httpserver.Method(c.Request().Method), p) {
		return "", false
	}
	return p, true
}

func isFallback(h echo.HandlerFunc) bool {
	pc := reflect.ValueOf(h).Pointer()
	return pc == reflect.ValueOf(echo.NotFoundHandler).Pointer() ||
		pc == reflect.ValueOf(echo.MethodNotAllowedHandler).Pointer()
}

type notFoundKey struct {
	e      *echo.Echo
	method string
	path   string
}

var notFoundRoutes cowmap.Map[notFoundKey, bool]

// isNotFoundRoute reports whether path is registered only as a RouteNotFound
// route for method. Only wildcard paths reach here, and method is one of the
// known methods or "_OTHER", so the cache stays small.
func isNotFoundRoute(e *echo.Echo, method, path string) bool {
	if e == nil {
		return false
	}
	k := notFoundKey{e, method, path}
	if v, ok := notFoundRoutes.Load(k); ok {
		return v
	}
	notFound, real := false, false
	for _, r := range e.Routes() {
		if r.Path != path {
			continue
		}
		switch r.Method {
		case echo.RouteNotFound:
			notFound = true
		case method:
			real = true
		}
	}
	v := notFound && !real
	notFoundRoutes.Store(k, v)
	return v
}
