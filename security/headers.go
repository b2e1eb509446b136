package security

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Default Content-Security-Policy values of [SecureHeaders].
const (
	DefaultAPICSP  = "default-src 'none'; frame-ancestors 'none'"
	DefaultHTMLCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

// DefaultNoStorePrefixes are the management routes answered with
// Cache-Control: no-store.
var DefaultNoStorePrefixes = []string{
	"/api/alerts", "/api/silences", "/api/readiness", "/api/usage", "/api/reports",
	"/api/traces", "/admin", "/health/security",
}

// HeadersConfig configures [SecureHeadersWithConfig].
type HeadersConfig struct {
	// Skipper skips the middleware. Optional. Default value
	// middleware.DefaultSkipper.
	Skipper middleware.Skipper
	// APICSP is the Content-Security-Policy of every response that is not
	// HTML. Optional. Default value [DefaultAPICSP].
	APICSP string
	// HTMLCSP is the Content-Security-Policy of text/html responses (the
	// landing page, /docs). Optional. Default value [DefaultHTMLCSP].
	HTMLCSP string
	// NoStorePrefixes get Cache-Control: no-store. Optional. Default value
	// [DefaultNoStorePrefixes].
	NoStorePrefixes []string
	// HSTSMaxAge is the Strict-Transport-Security max-age in seconds, sent
	// on TLS requests (or X-Forwarded-Proto: https). Optional. Default value
	// 63072000 (two years); negative disables HSTS.
	HSTSMaxAge int
}

// SecureHeaders returns [SecureHeadersWithConfig] with the defaults.
func SecureHeaders() echo.MiddlewareFunc { return SecureHeadersWithConfig(HeadersConfig{}) }

// SecureHeadersWithConfig sets secure response headers on every response,
// including errors rendered by the server's error handler: the CSP is
// chosen by the response Content-Type when the header is written.
func SecureHeadersWithConfig(cfg HeadersConfig) echo.MiddlewareFunc {
	if cfg.Skipper == nil {
		cfg.Skipper = middleware.DefaultSkipper
	}
	if cfg.APICSP == "" {
		cfg.APICSP = DefaultAPICSP
	}
	if cfg.HTMLCSP == "" {
		cfg.HTMLCSP = DefaultHTMLCSP
	}
	if cfg.NoStorePrefixes == nil {
		cfg.NoStorePrefixes = DefaultNoStorePrefixes
	}
	if cfg.HSTSMaxAge == 0 {
		cfg.HSTSMaxAge = 63072000
	}
	hsts := "max-age=" + strconv.Itoa(cfg.HSTSMaxAge) + "; includeSubDomains"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			req, res := c.Request(), c.Response()
			h := res.Header()
			h.Set(echo.HeaderXContentTypeOptions, "nosniff")
			h.Set(echo.HeaderXFrameOptions, "DENY")
			h.Set(echo.HeaderReferrerPolicy, "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
			if cfg.HSTSMaxAge > 0 && IsTLS(req) {
				h.Set(echo.HeaderStrictTransportSecurity, hsts)
			}
			if hasPrefix(req.URL.Path, cfg.NoStorePrefixes) {
				h.Set("Cache-Control", "no-store")
			}
			res.Before(func() {
				h.Del("Server")
				h.Del("X-Powered-By")
				if h.Get(echo.HeaderContentSecurityPolicy) != "" {
					return // a handler chose its own
				}
				if strings.HasPrefix(h.Get(echo.HeaderContentType), "text/html") {
					h.Set(echo.HeaderContentSecurityPolicy, cfg.HTMLCSP)
				} else {
					h.Set(echo.HeaderContentSecurityPolicy, cfg.APICSP)
				}
			})
			return next(c)
		}
	}
}

// IsTLS reports whether the request came over TLS, directly or through a
// proxy that set X-Forwarded-Proto: https.
func IsTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get(echo.HeaderXForwardedProto), "https")
}

func hasPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}
