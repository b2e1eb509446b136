// Package server holds Vigil's echo handlers: the reference "AI Learning API"
// that Vigil observes, the landing and health endpoints, and the management
// API. It renders every error as RFC 9457 problem details.
//
// # Wiring
//
// New builds an *echo.Echo with the error handler, panic recovery, body limit
// and the reference and health routes. internal/app adds the middleware of
// other packages (instrumentation, security, rate limiting) through
// Config.Middleware and mounts the management API handlers.
package server
