package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/security"
)

// Header names set by [Middleware].
const (
	HeaderRateLimitPolicy = "RateLimit-Policy"
	HeaderRateLimit       = "RateLimit"
	HeaderXLimit          = "X-RateLimit-Limit"
	HeaderXRemaining      = "X-RateLimit-Remaining"
	HeaderXReset          = "X-RateLimit-Reset"
	HeaderRetryAfter      = "Retry-After"
)

// MiddlewareConfig configures [Middleware].
type MiddlewareConfig struct {
	// Skipper skips the middleware. Optional. Default value
	// middleware.DefaultSkipper. See [SkipAdmin].
	Skipper middleware.Skipper
	// Limiter decides. Required.
	Limiter Limiter
	// ClientFunc names the client. Optional. Default value: the name of the
	// authenticated principal (security.PrincipalFrom), else c.RealIP().
	ClientFunc func(c echo.Context) string
	// RouteFunc names the route. Optional. Default value c.Path() (the
	// registered route, never the raw URL).
	RouteFunc func(c echo.Context) string
	// OnLimited is called for every refused request, for example to record
	// a security event. Optional. Default value nil.
	OnLimited func(c echo.Context, client, route string, d Decision)
	// MeterProvider records vigil.ratelimit.limited. Optional. Default value
	// the global provider.
	MeterProvider metric.MeterProvider
}

// DefaultClient is the default [MiddlewareConfig.ClientFunc].
func DefaultClient(c echo.Context) string {
	if p, ok := security.PrincipalFrom(c); ok {
		return p.Name
	}
	return c.RealIP()
}

// SkipAdmin returns a Skipper that skips requests of admin principals on
// routes starting with one of prefixes (the management API).
func SkipAdmin(prefixes ...string) middleware.Skipper {
	return func(c echo.Context) bool {
		p, ok := security.PrincipalFrom(c)
		if !ok || p.Role != security.RoleAdmin {
			return false
		}
		path := c.Path()
		for _, pre := range prefixes {
			if strings.HasPrefix(path, pre) {
				return true
			}
		}
		return false
	}
}

// Middleware limits requests with cfg.Limiter and sets the rate-limit
// headers on every response of a limited route. It panics when cfg.Limiter
// is nil.
func Middleware(cfg MiddlewareConfig) echo.MiddlewareFunc {
	if cfg.Limiter == nil {
		panic("ratelimit: middleware requires a limiter")
	}
	if cfg.Skipper == nil {
		cfg.Skipper = middleware.DefaultSkipper
	}
	if cfg.ClientFunc == nil {
		cfg.ClientFunc = DefaultClient
	}
	if cfg.RouteFunc == nil {
		cfg.RouteFunc = func(c echo.Context) string { return c.Path() }
	}
	limited := limitedCounter(cfg.MeterProvider)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			client, route := cfg.ClientFunc(c), cfg.RouteFunc(c)
			d, err := cfg.Limiter.Allow(c.Request().Context(), client, route)
			if err != nil || !d.Limited() {
				return next(c) // fail open: the limiter logged and counted
			}
			SetHeaders(c.Response().Header(), d)
			if d.Allowed {
				return next(c)
			}
			limited.add(c.Request().Context(), client, route)
			if cfg.OnLimited != nil {
				cfg.OnLimited(c, client, route, d)
			}
			return echo.NewHTTPError(http.StatusTooManyRequests,
				fmt.Sprintf("rate limit exceeded: %d requests per %s; retry in %d s", d.Limit, d.Window, d.Seconds()))
		}
	}
}

// SetHeaders writes the RateLimit-Policy, RateLimit and X-RateLimit-*
// fields of d into h, and Retry-After when d refused the request. Every
// field that names a time names the same moment, [Decision.Seconds] from
// now: the t parameter of RateLimit, X-RateLimit-Reset and Retry-After.
func SetHeaders(h http.Header, d Decision) {
	secs := strconv.FormatInt(d.Seconds(), 10)
	h.Set(HeaderRateLimitPolicy, d.Policy)
	h.Set(HeaderRateLimit, fmt.Sprintf("%q;r=%d;t=%s", d.Name, d.Remaining, secs))
	h.Set(HeaderXLimit, strconv.Itoa(d.Limit))
	h.Set(HeaderXRemaining, strconv.Itoa(d.Remaining))
	h.Set(HeaderXReset, secs)
	if !d.Allowed {
		h.Set(HeaderRetryAfter, secs)
	}
}

// refusals counts vigil.ratelimit.limited.
type refusals struct{ c metric.Int64Counter }

// limitedCounter returns the refusal counter of mp (the global provider
// when nil); it panics when the instrument cannot be made, as the
// middleware constructors do for a bad configuration.
func limitedCounter(mp metric.MeterProvider) refusals {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	c, err := mp.Meter("github.com/vigilhq/vigil/ratelimit").Int64Counter(
		instrumentation.MetricRateLimited,
		metric.WithDescription("Requests refused by the rate limiter."),
		metric.WithUnit("{request}"))
	if err != nil {
		panic(fmt.Sprintf("ratelimit: counter: %v", err))
	}
	return refusals{c}
}

func (r refusals) add(ctx context.Context, client, route string) {
	r.c.Add(ctx, 1, metric.WithAttributes(
		attribute.String(instrumentation.AttrClient, client),
		attribute.String(instrumentation.AttrRoute, route)))
}
