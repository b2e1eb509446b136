package reporting

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/httpapi"
)

// AnonymousClient is the client of requests without a valid API key.
const AnonymousClient = "anonymous"

// MiddlewareConfig configures Usage.Middleware.
type MiddlewareConfig struct {
	// Skipper skips counting. Optional. Default value middleware.DefaultSkipper.
	Skipper middleware.Skipper
	// Client names the caller. Optional. Default value: AnonymousClient for
	// everyone; an empty name also counts as AnonymousClient.
	Client func(c echo.Context) string
	// Tokens gives the tokens a request used (prompt + completion). Optional.
	// Default value: none.
	Tokens func(c echo.Context) int64
	// TokenTypes splits a chat request's tokens into prompt and completion
	// for the vigil.chat.tokens counter. Optional. Default value: none.
	TokenTypes func(c echo.Context) (prompt, completion int64)
	// MeterProvider records vigil.client.requests and vigil.chat.tokens.
	// Optional. Default value: no counters.
	MeterProvider metric.MeterProvider
}

// Middleware counts every request of a matched route after it was handled:
// requests, errors (status ≥ 500), rate-limited (429) and tokens. The status
// is the returned *echo.HTTPError's code, 500 for any other error, else the
// response status. Unmatched paths are not counted (no unbounded keys).
func (u *Usage) Middleware(cfg MiddlewareConfig) echo.MiddlewareFunc {
	if cfg.Skipper == nil {
		cfg.Skipper = middleware.DefaultSkipper
	}
	var counters *usageCounters
	if cfg.MeterProvider != nil {
		var err error
		if counters, err = newUsageCounters(cfg.MeterProvider); err != nil {
			u.cfg.Logger.Warn("usage counters disabled", "error", err)
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			err := next(c)
			route, ok := instrumentation.RouteOf(c)
			if !ok {
				return err
			}
			status := c.Response().Status
			if err != nil {
				status = http.StatusInternalServerError
				var he *echo.HTTPError
				if errors.As(err, &he) {
					status = he.Code
				}
			}
			client := AnonymousClient
			if cfg.Client != nil {
				if n := cfg.Client(c); n != "" {
					client = n
				}
			}
			cnt := Counts{Requests: 1}
			switch {
			case status == http.StatusTooManyRequests:
				cnt.RateLimited = 1
			case httpapi.IsServerError(status):
				cnt.Errors = 1
			}
			if cfg.Tokens != nil && err == nil {
				cnt.Tokens = cfg.Tokens(c)
			}
			u.Record(u.cfg.Now(), UsageKey{Client: client, Route: route, Method: c.Request().Method}, cnt)
			if counters != nil {
				ctx := c.Request().Context()
				counters.requests.Add(ctx, 1, counters.attrs(counterKey{client: client, route: route,
					method: c.Request().Method, outcome: outcomeOf(status)}))
				if cfg.TokenTypes != nil && err == nil {
					if p, comp := cfg.TokenTypes(c); p+comp > 0 {
						counters.tokens.Add(ctx, p, counters.attrs(counterKey{client: client, tokenType: "prompt"}))
						counters.tokens.Add(ctx, comp, counters.attrs(counterKey{client: client, tokenType: "completion"}))
					}
				}
			}
			return err
		}
	}
}
