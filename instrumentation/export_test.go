package instrumentation

import (
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation/internal/clock"
	"github.com/vigilhq/vigil/instrumentation/internal/httpmetrics"
)

// SetClock replaces the clock of middlewares built afterwards and returns a
// function restoring it.
func SetClock(f func() time.Time) (restore func()) {
	old := clock.Middleware
	clock.Middleware = f
	return func() { clock.Middleware = old }
}

// UsesFastHistograms reports whether middlewares built on mp record the
// HTTP server histograms without the SDK's instruments.
func UsesFastHistograms(mp metric.MeterProvider) bool { return httpmetrics.Lookup(mp) != nil }

// SetSamplerClock replaces the clock of RateLimited samplers built
// afterwards and returns a function restoring it.
func SetSamplerClock(f func() time.Time) (restore func()) {
	old := clock.Sampler
	clock.Sampler = f
	return func() { clock.Sampler = old }
}
