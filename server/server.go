package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// DefaultBodyLimit bounds request bodies unless Config.BodyLimit says otherwise.
const DefaultBodyLimit = 1 << 20

// Config configures New.
type Config struct {
	// Logger receives request failures and recovered panics. Optional.
	Logger *slog.Logger
	// Version is shown on the landing page and in /api/health.
	Version string
	// Links are shown on the landing page.
	Links Links
	// DemoFaults honours X-Demo-Fault and X-Demo-Delay on the reference API.
	DemoFaults bool
	// BodyLimit bounds request bodies in bytes. Optional. Default 1 MiB.
	BodyLimit int64
	// Middleware runs on every route after routing, in order (instrumentation
	// first, so its span covers the rest).
	Middleware []echo.MiddlewareFunc
	// ReferenceMiddleware runs on the reference API routes only (rate limits).
	ReferenceMiddleware []echo.MiddlewareFunc
	// Health lists the components of /api/health; critical ones gate /ready.
	Health []HealthCheck
	// HealthTimeout bounds all health checks of one request. Optional. Default 2s.
	HealthTimeout time.Duration
	// OnLoginFail is called on a failed POST /api/login. Optional.
	OnLoginFail func(c echo.Context, username string)
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed when
	// naming a client's IP (rate limits, security events). Optional.
	// Default: none, the peer address is the client.
	TrustedProxies []*net.IPNet
}

// New builds the echo instance with the landing, health and reference routes.
func New(cfg Config) (*echo.Echo, error) {
	if cfg.BodyLimit < 0 {
		return nil, fmt.Errorf("invalid configuration: body limit %d must not be negative", cfg.BodyLimit)
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = ErrorHandler(cfg.Logger)
	// A client must not choose its own rate-limit identity: X-Forwarded-For
	// counts only when the peer is a configured proxy.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.Pre(routeHeadAsGet)
	e.Use(restoreHead)
	// echo runs e.Use middleware for unmatched paths and wrong methods too, so
	// they are counted (without a route) and get security headers.
	e.Use(cfg.Middleware...)
	e.Use(recoverPanics(cfg.Logger), bodyLimit(cfg.BodyLimit))

	h := &health{version: cfg.Version, checks: cfg.Health, timeout: cfg.HealthTimeout}
	e.GET("/", landingHandler(cfg.Version, cfg.Links))
	e.GET("/health", h.liveness)
	e.GET("/ready", h.ready)
	e.GET("/api/health", h.detailed)

	ref := &reference{sleep: sleepCtx, onLoginFail: cfg.OnLoginFail}
	mw := append([]echo.MiddlewareFunc{demoFaults(cfg.DemoFaults, sleepCtx)}, cfg.ReferenceMiddleware...)
	e.POST("/api/chat", ref.chat, mw...)
	e.GET("/api/users/:id", ref.user, mw...)
	e.POST("/api/login", ref.login, mw...)
	e.GET("/api/public", ref.public, mw...)
	return e, nil
}

// recoverPanics turns a handler panic into a 500 problem and logs it with the
// trace ID; the process keeps serving.
func recoverPanics(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if e, ok := r.(error); ok && errors.Is(e, http.ErrAbortHandler) {
					panic(r)
				}
				logger.ErrorContext(c.Request().Context(), "handler panicked",
					"route", c.Path(), "trace_id", traceIDOf(c), "panic", fmt.Sprint(r),
					"stack", string(debug.Stack()))
				err = echo.NewHTTPError(http.StatusInternalServerError).SetInternal(fmt.Errorf("panic: %v", r))
			}()
			return next(c)
		}
	}
}

// bodyLimit rejects bodies over limit: at once from Content-Length, or when
// a handler reads past the limit (http.MaxBytesError → 413).
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit))
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}
