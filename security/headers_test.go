package security_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"

	"github.com/vigilhq/vigil/security"
)

func headersApp() *echo.Echo {
	e := echo.New()
	e.Use(security.SecureHeaders())
	e.GET("/", func(c echo.Context) error {
		c.Response().Header().Set("Server", "vigil/1.2.3")
		c.Response().Header().Set("X-Powered-By", "go")
		return c.HTML(http.StatusOK, "<h1>vigil</h1>")
	})
	e.GET("/api/alerts", func(c echo.Context) error { return c.JSON(http.StatusOK, []string{}) })
	e.GET("/api/public", func(c echo.Context) error { return c.JSON(http.StatusOK, "hi") })
	e.GET("/api/boom", func(c echo.Context) error { return echo.NewHTTPError(http.StatusBadRequest, "bad") })
	return e
}

func TestSecureHeaders(t *testing.T) {
	tests := map[string]struct {
		path, proto string
		csp         string
		noStore     bool
		hsts        bool
	}{
		"an API response gets the strict CSP":       {path: "/api/public", csp: security.DefaultAPICSP},
		"an HTML page gets the HTML CSP":            {path: "/", csp: security.DefaultHTMLCSP},
		"the management API is not cached":          {path: "/api/alerts", csp: security.DefaultAPICSP, noStore: true},
		"an error response is covered too":          {path: "/api/boom", csp: security.DefaultAPICSP},
		"a not-found response is covered too":       {path: "/nope", csp: security.DefaultAPICSP},
		"HSTS is sent behind a TLS proxy":           {path: "/api/public", proto: "https", csp: security.DefaultAPICSP, hsts: true},
		"no-store matches by segment, not by chars": {path: "/api/alertsx", csp: security.DefaultAPICSP},
	}
	e := headersApp()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			h := rec.Header()
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
			assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
			assert.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"))
			assert.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"))
			assert.Equal(t, tc.csp, h.Get("Content-Security-Policy"))
			assert.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			assert.Empty(t, h.Get("Server"))
			assert.Empty(t, h.Get("X-Powered-By"))
			if tc.noStore {
				assert.Equal(t, "no-store", h.Get("Cache-Control"))
			} else {
				assert.Empty(t, h.Get("Cache-Control"))
			}
			if tc.hsts {
				assert.Equal(t, "max-age=63072000; includeSubDomains", h.Get("Strict-Transport-Security"))
			} else {
				assert.Empty(t, h.Get("Strict-Transport-Security"))
			}
		})
	}
}

func TestCORS(t *testing.T) {
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	build := func(cfg security.CORSConfig) *echo.Echo {
		e := echo.New()
		e.Use(security.CORS(cfg))
		e.GET("/api/alerts", ok)
		e.OPTIONS("/api/alerts", ok)
		return e
	}
	listed := security.CORSConfig{AllowedOrigins: []string{"https://app.example.com"}, AllowCredentials: true}
	tests := map[string]struct {
		cfg         security.CORSConfig
		method      string
		origin      string
		allowOrigin string
		creds       string
		status      int
	}{
		"off without origins":                     {cfg: security.CORSConfig{}, method: "GET", origin: "https://evil.example", status: 200},
		"a listed origin is allowed":              {cfg: listed, method: "GET", origin: "https://app.example.com", allowOrigin: "https://app.example.com", creds: "true", status: 200},
		"an unlisted origin is never reflected":   {cfg: listed, method: "GET", origin: "https://evil.example", status: 200},
		"a look-alike subdomain is not listed":    {cfg: listed, method: "GET", origin: "https://x.app.example.com", status: 200},
		"a preflight of a listed origin answers":  {cfg: listed, method: "OPTIONS", origin: "https://app.example.com", allowOrigin: "https://app.example.com", creds: "true", status: 204},
		"a preflight of an unlisted origin fails": {cfg: listed, method: "OPTIONS", origin: "https://evil.example", status: 204},
		"a wildcard sends * and no credentials":   {cfg: security.CORSConfig{AllowedOrigins: []string{"*"}}, method: "GET", origin: "https://evil.example", allowOrigin: "*", status: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/api/alerts", nil)
			req.Header.Set("Origin", tc.origin)
			if tc.method == http.MethodOptions {
				req.Header.Set("Access-Control-Request-Method", "POST")
			}
			rec := httptest.NewRecorder()
			build(tc.cfg).ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.allowOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
			assert.Equal(t, tc.creds, rec.Header().Get("Access-Control-Allow-Credentials"))
			if tc.method == http.MethodOptions && tc.allowOrigin != "" {
				assert.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "Authorization")
			} else {
				assert.Empty(t, rec.Header().Get("Access-Control-Allow-Methods"))
			}
		})
	}
}
