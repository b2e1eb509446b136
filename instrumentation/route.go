package instrumentation

import (
	"context"
	"encoding/hex"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"
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
	if strings.IndexByte(p, '*') >= 0 && isNotFoundRoute(c.Echo(), methodOf(c.Request().Method), p) {
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

var notFoundRoutes cowMap[notFoundKey, bool]

// isNotFoundRoute reports whether path is registered only as a RouteNotFound
// route for method. Only wildcard paths reach here, and method is one of the
// known methods or "_OTHER", so the cache stays small.
func isNotFoundRoute(e *echo.Echo, method, path string) bool {
	if e == nil {
		return false
	}
	k := notFoundKey{e, method, path}
	if v, ok := notFoundRoutes.load(k); ok {
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
	notFoundRoutes.store(k, v)
	return v
}

// TraceIDFrom returns the hex trace ID of the span in ctx, or "" when ctx
// holds no valid span context.
func TraceIDFrom(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	id := sc.TraceID()
	return hex.EncodeToString(id[:])
}

// methodOf maps a request method to its semconv value: one of the known
// HTTP methods, or "_OTHER". It never returns client-controlled strings.
func methodOf(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodHead:
		return http.MethodHead
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	case "QUERY":
		return "QUERY"
	default:
		return "_OTHER"
	}
}

// maxCacheEntries bounds every cowMap: beyond it values are computed but not
// cached.
const maxCacheEntries = 8192

// cowMap is a copy-on-write map: lookups are lock-free and do not allocate
// (unlike sync.Map, which boxes struct keys), writes copy the map. It suits
// caches that are read on every request and written a bounded number of
// times.
type cowMap[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

func (c *cowMap[K, V]) load(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

func (c *cowMap[K, V]) store(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	n := 0
	if old != nil {
		n = len(*old)
	}
	if n >= maxCacheEntries {
		return
	}
	next := make(map[K]V, n+1)
	if old != nil {
		for kk, vv := range *old {
			next[kk] = vv
		}
	}
	next[k] = v
	c.m.Store(&next)
}
