package echov5

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
)

// Config configures [MiddlewareWithConfig].
type Config struct {
	// Skipper defines a function to skip the middleware: skipped requests
	// get no span, no metrics and no X-Request-Id/X-Trace-Id headers.
	// It has the type of echo's middleware.Skipper, so one can be assigned.
	// Optional. Default value: skip nothing.
	Skipper func(c *echo.Context) bool

	// Options configure the instrumentation core: providers, propagator,
	// request ID header and generator, slow threshold (httpserver.With*).
	// telemetry.Telemetry.ServerOptions returns the ones that use its
	// providers.
	// Optional. Default value: none, that is the global providers and
	// propagator (as telemetry.Setup installs them), X-Request-Id, and a 1s
	// slow threshold.
	Options []httpserver.Option

	// HandleError makes the middleware call the application's
	// HTTPErrorHandler for a handler error, so that the recorded status
	// code and response size are the ones the error handler wrote. The
	// error is still returned; the HTTPErrorHandler must then ignore
	// committed responses (echo's default one does). When false the status
	// is the one echo.ResolveResponseStatus gives: the error's
	// echo.HTTPStatusCoder code, or 500.
	// Optional. Default value false.
	HandleError bool
}

// Middleware returns the instrumentation middleware with the default
// [Config].
func Middleware() echo.MiddlewareFunc {
	return MiddlewareWithConfig(Config{})
}

// MiddlewareWithConfig returns the instrumentation middleware; it panics if
// the configuration is invalid (see [Config.ToMiddleware]).
func MiddlewareWithConfig(cfg Config) echo.MiddlewareFunc {
	mw, err := cfg.ToMiddleware()
	if err != nil {
		panic(err)
	}
	return mw
}

// ToMiddleware returns the instrumentation middleware, or an error when an
// instrument cannot be created. Per request it records
// http.server.request.duration, http.server.active_requests,
// http.server.request.body.size and http.server.response.body.size, starts
// a server span continuing any valid incoming W3C trace, and sets the
// X-Request-Id and X-Trace-Id response headers before the handler runs.
//
// Register it with e.Use (not e.Pre: the route must be known). Inside the
// application's Recover middleware, a panic is recorded as an exception
// event and a 500 and then re-raised for Recover to handle.
func (cfg Config) ToMiddleware() (echo.MiddlewareFunc, error) {
	core, err := httpserver.New(cfg.Options...)
	if err != nil {
		return nil, fmt.Errorf("instrumentation middleware: %w", err)
	}
	m := &middleware{core: core, skipper: cfg.Skipper, handleError: cfg.HandleError}
	if m.skipper == nil {
		m.skipper = func(*echo.Context) bool { return false }
	}
	return m.handle, nil
}

// middleware translates echo v5's request, route and error model for the
// core.
type middleware struct {
	core        *httpserver.Instrumenter
	skipper     func(*echo.Context) bool
	handleError bool
}

func (m *middleware) handle(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if m.skipper(c) {
			return next(c)
		}
		return m.serve(c, next)
	}
}

func (m *middleware) serve(c *echo.Context, next echo.HandlerFunc) (err error) {
	route, _ := RouteOf(c)
	// The echo.Response under any writer a middleware put in front of it:
	// it counts the status and size the client gets.
	resp, _ := echo.UnwrapResponse(c.Response())
	req, q := m.core.Start(c.Request(), headerOf(c, resp), route)
	c.SetRequest(req)
	if resp != nil && httpserver.Upgrading(req) {
		// A WebSocket handshake ends at its 101 (see httpserver.ResponseWriter).
		rw := m.core.Watch(&q, resp.ResponseWriter, req, c.RealIP())
		resp.ResponseWriter = rw
		defer func() {
			resp.ResponseWriter = rw.Unwrap()
			rw.Release()
		}()
	}

	panicked := true
	defer func() {
		if panicked {
			r := recover()
			m.core.Panic(&q, c.Request(), r, sizeOf(resp), c.RealIP)
			if r != nil {
				panic(r)
			}
		}
	}()
	err = next(c)
	panicked = false

	if err != nil && m.handleError {
		c.Echo().HTTPErrorHandler(c, err)
	}
	status := statusOf(c, resp, err)
	m.core.End(&q, c.Request(), httpserver.Result{
		Status:    status,
		Size:      sizeOf(resp),
		Err:       err,
		HTTPError: err != nil && echo.StatusCode(err) != 0,
	}, c.RealIP)
	return err
}

// headerOf returns the response header map (through the echo.Response
// when there is one: no interface call).
func headerOf(c *echo.Context, resp *echo.Response) http.Header {
	if resp != nil {
		return resp.Header()
	}
	return c.Response().Header()
}

// statusOf is echo.ResolveResponseStatus with the echo.Response already
// unwrapped: the committed status, else the error's HTTPStatusCoder code or
// 500, else the suggested status or 200.
func statusOf(c *echo.Context, resp *echo.Response, err error) int {
	if resp == nil {
		_, status := echo.ResolveResponseStatus(c.Response(), err)
		return status
	}
	switch {
	case resp.Committed && resp.Status != 0:
		return resp.Status
	case resp.Committed:
		return http.StatusOK
	case err != nil:
		if code := echo.StatusCode(err); code != 0 {
			return code
		}
		return http.StatusInternalServerError
	case resp.Status != 0:
		return resp.Status
	default:
		return http.StatusOK
	}
}

func sizeOf(resp *echo.Response) int64 {
	if resp == nil {
		return 0
	}
	return resp.Size
}

// RouteOf returns the route template echo matched for c (for example
// "/api/users/:id", from c.RouteInfo()) and whether a registered route
// matched at all.
//
// A request is unmatched when echo answered it with its 404 or 405
// handler, or when the route is one registered with e.RouteNotFound (or the
// not-found route a group with middleware adds). For unmatched requests
// the route is "": a raw path never comes out of this function, so callers
// may use the route as a metric attribute without a cardinality risk.
func RouteOf(c *echo.Context) (route string, matched bool) {
	ri := c.RouteInfo()
	if ri.Path == "" || ri.Method == echo.RouteNotFound {
		return "", false
	}
	return ri.Path, true
}
