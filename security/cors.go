package security

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Methods and request headers CORS allows for listed origins.
const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, X-API-Key, Traceparent"
	corsExpose  = "RateLimit, RateLimit-Policy, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
)

// CORS returns a middleware that answers cross-origin requests from the
// origins of cfg only, compared exactly (scheme, host and port, case
// insensitive). It never reflects an unlisted Origin; with "*" (allowed only
// without credentials) it sends "*", never the Origin. With no origins it
// does nothing: CORS is off.
func CORS(cfg CORSConfig) echo.MiddlewareFunc {
	allowed := map[string]bool{}
	wildcard := false
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			wildcard = !cfg.AllowCredentials
			continue
		}
		allowed[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	if len(allowed) == 0 && !wildcard {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req, h := c.Request(), c.Response().Header()
			h.Add(echo.HeaderVary, echo.HeaderOrigin)
			origin := req.Header.Get(echo.HeaderOrigin)
			preflight := req.Method == http.MethodOptions && req.Header.Get(echo.HeaderAccessControlRequestMethod) != ""
			if origin == "" {
				return next(c)
			}
			value := ""
			switch {
			case allowed[strings.ToLower(origin)]:
				value = origin
			case wildcard:
				value = "*"
			}
			if value == "" {
				if preflight {
					// Refused: no CORS headers, so the browser blocks the request.
					return c.NoContent(http.StatusNoContent)
				}
				return next(c)
			}
			h.Set(echo.HeaderAccessControlAllowOrigin, value)
			if cfg.AllowCredentials && value != "*" {
				h.Set(echo.HeaderAccessControlAllowCredentials, "true")
			}
			if !preflight {
				h.Set(echo.HeaderAccessControlExposeHeaders, corsExpose)
				return next(c)
			}
			h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestMethod)
			h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestHeaders)
			h.Set(echo.HeaderAccessControlAllowMethods, corsMethods)
			h.Set(echo.HeaderAccessControlAllowHeaders, corsHeaders)
			h.Set(echo.HeaderAccessControlMaxAge, "600")
			return c.NoContent(http.StatusNoContent)
		}
	}
}
