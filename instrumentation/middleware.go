package instrumentation

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
)

// HeaderTraceID is the response header carrying the hex trace ID of the
// request's server span.
const HeaderTraceID = httpserver.HeaderTraceID

// MiddlewareConfig configures [MiddlewareWithConfig].
type MiddlewareConfig struct {
	// Skipper defines a function to skip the middleware: skipped requests
	// get no span, no metrics and no X-Request-Id/X-Trace-Id headers.
	// It has the type of echo's middleware.Skipper, so one can be assigned.
	// Optional. Default value: skip nothing.
	Skipper func(c echo.Context) bool

	// MeterProvider records the HTTP server metrics.
	// Optional. Default value otel.GetMeterProvider(), read when the
	// middleware is built.
	MeterProvider metric.MeterProvider

	// TracerProvider starts the server spans.
	// Optional. Default value otel.GetTracerProvider(), read when the
	// middleware is built.
	TracerProvider trace.TracerProvider

	// Propagator extracts the incoming trace context (W3C traceparent).
	// Optional. Default value otel.GetTextMapPropagator(), read when the
	// middleware is built.
	Propagator propagation.TextMapPropagator

	// RequestIDHeader is the header of the request ID, reused from the
	// request when it is at most 64 characters of [A-Za-z0-9-_] and
	// generated otherwise.
	// Optional. Default value echo.HeaderXRequestID ("X-Request-Id").
	RequestIDHeader string

	// RequestIDGenerator generates request IDs.
	// Optional. Default value: a process-unique random prefix and a counter.
	RequestIDGenerator func() string

	// HandleError makes the middleware call c.Error(err) for a handler error,
	// so that the recorded status code and response size are the ones the
	// error handler wrote. The error is still returned; the application's
	// HTTPErrorHandler must then ignore committed responses (echo's default
	// one does). When false the status is taken from *echo.HTTPError, or 500.
	// Optional. Default value false.
	HandleError bool

	// SlowThreshold is the duration from which a request counts as slow.
	// A request whose server span was not sampled and that ends in a 5xx,
	// panics or takes at least SlowThreshold gets a late server span: same
	// trace ID (the X-Trace-Id the client got), the request's start time,
	// its attributes and status, started with a context that
	// [ForceSampling] (part of [DefaultSampler]) always samples. Other
	// samplers decide on it as on any span with an unsampled parent.
	// Optional. Default value 1s, the slow threshold of exporter.Spans.
	// Negative: slow requests get no late span (failing ones still do).
	SlowThreshold time.Duration
}

// DefaultSlowThreshold is the default of [MiddlewareConfig.SlowThreshold].
const DefaultSlowThreshold = httpserver.DefaultSlowThreshold

// Middleware returns the instrumentation middleware using the global
// providers and propagator (as installed by [Setup]).
func Middleware() echo.MiddlewareFunc {
	return MiddlewareWithConfig(MiddlewareConfig{})
}

// MiddlewareWithConfig returns the instrumentation middleware. Per request it
// records http.server.request.duration, http.server.active_requests,
// http.server.request.body.size and http.server.response.body.size, starts a
// server span continuing any valid incoming W3C trace, and sets the
// X-Request-Id and X-Trace-Id response headers before the handler runs.
//
// Register it with e.Use (not e.Pre: the route must be known). Inside the
// application's Recover middleware, a panic is recorded as an exception
// event and a 500 and then re-raised for Recover to handle; outside it, the
// error Recover returns is recorded.
//
// It panics if an instrument cannot be created, as echo's own middleware
// constructors do for invalid configuration.
func MiddlewareWithConfig(cfg MiddlewareConfig) echo.MiddlewareFunc {
	core, err := httpserver.New(
		httpserver.WithMeterProvider(cfg.MeterProvider),
		httpserver.WithTracerProvider(cfg.TracerProvider),
		httpserver.WithPropagator(cfg.Propagator),
		httpserver.WithRequestIDHeader(cfg.RequestIDHeader),
		httpserver.WithRequestIDGenerator(cfg.RequestIDGenerator),
		httpserver.WithSlowThreshold(cfg.SlowThreshold),
	)
	if err != nil {
		panic(fmt.Errorf("instrumentation middleware: %w", err))
	}
	m := &middleware{core: core, skipper: cfg.Skipper, handleError: cfg.HandleError}
	if m.skipper == nil {
		m.skipper = func(echo.Context) bool { return false }
	}
	return m.handle
}

// middleware translates echo v4's request, route and error model for the
// core.
type middleware struct {
	core        *httpserver.Instrumenter
	skipper     func(echo.Context) bool
	handleError bool
}

func (m *middleware) handle(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if m.skipper(c) {
			return next(c)
		}
		return m.serve(c, next)
	}
}

func (m *middleware) serve(c echo.Context, next echo.HandlerFunc) (err error) {
	route, _ := RouteOf(c)
	resp := c.Response()
	req, q := m.core.Start(c.Request(), resp.Header(), route)
	c.SetRequest(req)

	panicked := true
	defer func() {
		if panicked {
			r := recover()
			m.core.Panic(&q, c.Request(), r, resp.Size, c.RealIP)
			if r != nil {
				panic(r)
			}
		}
	}()
	err = next(c)
	panicked = false

	if err != nil && m.handleError {
		c.Error(err)
	}
	m.core.End(&q, c.Request(), httpserver.Result{
		Status:    statusOf(resp, err),
		Size:      resp.Size,
		Err:       err,
		HTTPError: isHTTPError(err),
	}, c.RealIP)
	return err
}

// statusOf returns the status code the client gets: the one written, or
// for an error echo has yet to handle, the HTTPError's code or 500.
func statusOf(resp *echo.Response, err error) int {
	status := resp.Status
	if err != nil && !resp.Committed {
		status = http.StatusInternalServerError
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
		}
	}
	return status
}

func isHTTPError(err error) bool {
	if err == nil {
		return false // before he: declaring it allocates
	}
	var he *echo.HTTPError
	return errors.As(err, &he)
}
