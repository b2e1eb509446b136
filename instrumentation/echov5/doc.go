// Package echov5 instruments an echo v5 (github.com/labstack/echo/v5)
// service with Vigil: it is the echo v5 adapter of the framework-neutral
// core in package httpserver, which does all the recording (HTTP server
// semconv metrics with route templates only, server spans with W3C
// propagation, X-Request-Id and X-Trace-Id, late spans for failing and
// slow requests, and the aggregation Vigil's exporter reads). This
// package only translates echo v5's request (*echo.Context), route
// (c.RouteInfo()) and error model (errors implementing
// echo.HTTPStatusCoder, echo.ResolveResponseStatus).
//
// # Use
//
//	tel, err := telemetry.Setup(ctx, telemetry.WithServiceName("users"))
//	if err != nil { ... }
//	defer tel.Shutdown(context.WithoutCancel(ctx))
//
//	e := echo.New()
//	e.Use(middleware.Recover())
//	e.Use(echov5.MiddlewareWithConfig(echov5.Config{Options: tel.ServerOptions()}))
//	e.GET("/api/users/:id", getUser)
//	e.GET("/metrics", echo.WrapHandler(tel.MetricsHandler()))
//
// Register the middleware with e.Use, not e.Pre: it needs the matched
// route. Requests echo cannot route (404, 405, RouteNotFound routes) carry
// no http.route. In echo v5 the application's HTTPErrorHandler runs after
// every middleware has returned, so the status of a handler error is the
// one echo.ResolveResponseStatus gives and its response size is not known;
// with [Config.HandleError] the middleware calls the error handler itself
// and records what it wrote.
//
// A WebSocket handshake is recorded as the request it is, up to its 101:
// the session that follows is no request duration (see
// httpserver.ResponseWriter).
//
// # What is compiled
//
// This is a package of Vigil's module, not a module of its own: Go
// compiles only the packages a program imports, and this one imports echo
// v5, httpserver and OpenTelemetry, never echo v4 (`go mod why
// github.com/labstack/echo/v4` in examples/echov5 says the example does not
// need it).
package echov5
