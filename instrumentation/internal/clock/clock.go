// Package clock holds the clocks of the instrumentation packages, in one
// place their tests can replace them.
package clock

import "time"

// Middleware is read when a server instrumentation (httpserver.New) is
// built; the instrumentation reads the time through it per request.
var Middleware = time.Now

// Sampler is read when a RateLimited sampler is built.
var Sampler = time.Now
