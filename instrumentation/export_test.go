package instrumentation

import (
	"time"

	"go.opentelemetry.io/otel/metric"
)

// SetClock replaces the clock of middlewares built afterwards and returns a
// function restoring it.
func SetClock(f func() time.Time) (restore func()) {
	old := clock
	clock = f
	return func() { clock = old }
}

// UsesFastHistograms reports whether middlewares built on mp record the
// HTTP server histograms without the SDK's instruments.
func UsesFastHistograms(mp metric.MeterProvider) bool { return lookupHTTPHistograms(mp) != nil }

// SetSamplerClock replaces the clock of RateLimited samplers built
// afterwards and returns a function restoring it.
func SetSamplerClock(f func() time.Time) (restore func()) {
	old := samplerClock
	samplerClock = f
	return func() { samplerClock = old }
}
