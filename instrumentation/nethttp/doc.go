// Package nethttp instruments a net/http service with Vigil: it is the
// net/http adapter of the framework-neutral core in package httpserver,
// which does all the recording (HTTP server semconv metrics with route
// templates only, server spans with W3C propagation, X-Request-Id and
// X-Trace-Id, late spans for failing and slow requests, and the
// aggregation Vigil's exporter reads). This package only translates
// net/http's request, its route (the Go 1.22+ ServeMux pattern in
// r.Pattern) and its response (status and size, counted by a wrapped
// ResponseWriter).
//
// # Use
//
//	tel, err := telemetry.Setup(ctx, telemetry.WithServiceName("users"))
//	if err != nil { ... }
//	defer tel.Shutdown(context.WithoutCancel(ctx))
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /api/users/{id}", getUser)
//	mux.Handle("GET /metrics", tel.MetricsHandler())
//	srv := &http.Server{Addr: addr, Handler: nethttp.NewHandler(mux, tel.ServerOptions()...)}
//
// The route is the matched pattern without its method and host
// ("GET /api/users/{id}" is recorded as http.route "/api/users/{id}"); a
// request the mux answers with its 404 or 405 has no http.route. net/http
// has no error model: a status the handler writes is what is recorded,
// and [Error] lets a handler record the Go error behind a 5xx as the echo
// adapters do for a returned error. client.address is the host of
// r.RemoteAddr (put a proxy-aware handler in front to change
// r.RemoteAddr). A panic is recorded as a 500 with error.type "panic" and
// re-raised for net/http (or a recovering handler outside) to handle.
//
// A WebSocket handshake or any hijacked connection is recorded as the
// request it is, up to the 101 or the hijack; an event stream up to its
// response headers: a session's lifetime is no request duration (see
// httpserver.ResponseWriter).
//
// # What is compiled
//
// This is a package of Vigil's module, not a module of its own: Go
// compiles only the packages a program imports, and this one imports
// net/http, httpserver and OpenTelemetry, never echo (`go mod why
// github.com/labstack/echo/v4 github.com/labstack/echo/v5` in
// examples/nethttp says the example needs neither).
package nethttp
