package instrumentation

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

// The setup lives in package telemetry, which no web framework is
// compiled into; these names forward to it for the users of this package.

// Default values of the options of [Setup].
const (
	DefaultServiceName      = telemetry.DefaultServiceName
	DefaultCardinalityLimit = telemetry.DefaultCardinalityLimit
	DefaultDiskPath         = telemetry.DefaultDiskPath
)

// Sentinel errors of [Setup]: the values of package telemetry, so errors.Is
// matches either.
var (
	ErrUnsupportedProtocol = telemetry.ErrUnsupportedProtocol
	ErrSetup               = telemetry.ErrSetup
)

// SecondsBoundaries and BytesBoundaries are [telemetry.SecondsBoundaries]
// and [telemetry.BytesBoundaries].
var (
	SecondsBoundaries = telemetry.SecondsBoundaries
	BytesBoundaries   = telemetry.BytesBoundaries
)

// ScopeName is the instrumentation scope of the instruments Vigil creates
// (otel_scope_name in Prometheus output).
const ScopeName = telemetry.ScopeName

// Telemetry holds the providers built by [Setup]: a [telemetry.Telemetry]
// (all of whose methods it has) that also configures this package's
// middleware. Call Shutdown before the process exits so buffered spans and
// metrics are flushed.
type Telemetry struct {
	*telemetry.Telemetry
}

// Setup is [telemetry.Setup], returning a Telemetry whose
// [Telemetry.MiddlewareConfig] configures the echo v4 middleware.
func Setup(ctx context.Context, opts ...Option) (*Telemetry, error) {
	t, err := telemetry.Setup(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &Telemetry{Telemetry: t}, nil
}

// MiddlewareConfig returns a [MiddlewareConfig] using this Telemetry's
// providers and propagator.
func (t *Telemetry) MiddlewareConfig() MiddlewareConfig {
	return MiddlewareConfig{MeterProvider: t.MeterProvider(), TracerProvider: t.TracerProvider(), Propagator: t.Propagator()}
}

// Option configures [Setup]; it is [telemetry.Option].
type Option = telemetry.Option

// WithServiceName is [telemetry.WithServiceName].
func WithServiceName(name string) Option { return telemetry.WithServiceName(name) }

// WithServiceVersion is [telemetry.WithServiceVersion].
func WithServiceVersion(version string) Option { return telemetry.WithServiceVersion(version) }

// WithResourceAttributes is [telemetry.WithResourceAttributes].
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return telemetry.WithResourceAttributes(attrs...)
}

// WithMetricReader is [telemetry.WithMetricReader].
func WithMetricReader(r sdkmetric.Reader) Option { return telemetry.WithMetricReader(r) }

// WithCardinalityLimit is [telemetry.WithCardinalityLimit].
func WithCardinalityLimit(n int) Option { return telemetry.WithCardinalityLimit(n) }

// WithSampler is [telemetry.WithSampler].
func WithSampler(s sdktrace.Sampler) Option { return telemetry.WithSampler(s) }

// WithSpanProcessor is [telemetry.WithSpanProcessor].
func WithSpanProcessor(p sdktrace.SpanProcessor) Option { return telemetry.WithSpanProcessor(p) }

// WithDiskPath is [telemetry.WithDiskPath].
func WithDiskPath(path string) Option { return telemetry.WithDiskPath(path) }

// WithoutRuntimeMetrics is [telemetry.WithoutRuntimeMetrics].
func WithoutRuntimeMetrics() Option { return telemetry.WithoutRuntimeMetrics() }

// WithoutHostMetrics is [telemetry.WithoutHostMetrics].
func WithoutHostMetrics() Option { return telemetry.WithoutHostMetrics() }

// WithoutGlobalProviders is [telemetry.WithoutGlobalProviders].
func WithoutGlobalProviders() Option { return telemetry.WithoutGlobalProviders() }

// WithLogger is [telemetry.WithLogger].
func WithLogger(l *slog.Logger) Option { return telemetry.WithLogger(l) }

// Sampling defaults: [telemetry.DefaultSampleRatio] and
// [telemetry.DefaultMaxTracesPerSecond].
const (
	DefaultSampleRatio        = telemetry.DefaultSampleRatio
	DefaultMaxTracesPerSecond = telemetry.DefaultMaxTracesPerSecond
)

// DefaultSampler is [telemetry.DefaultSampler].
func DefaultSampler() sdktrace.Sampler { return telemetry.DefaultSampler() }

// RateLimited is [telemetry.RateLimited].
func RateLimited(s sdktrace.Sampler, perSecond float64) sdktrace.Sampler {
	return telemetry.RateLimited(s, perSecond)
}

// ForceSampling is [httpserver.ForceSampling].
func ForceSampling(s sdktrace.Sampler) sdktrace.Sampler { return httpserver.ForceSampling(s) }

// TraceIDFrom is [httpserver.TraceIDFrom]: the hex trace ID of the span in
// ctx, or "" when ctx holds no valid span context.
func TraceIDFrom(ctx context.Context) string { return httpserver.TraceIDFrom(ctx) }

// ErrInvalidEnv is [telemetry.ErrInvalidEnv]: Setup rejected an OTEL_*
// value.
var ErrInvalidEnv = telemetry.ErrInvalidEnv

// Logger is [telemetry.Logger]: the logger of the Telemetry set up with
// global providers (stderr with trace_id and span_id, and OTLP when a logs
// exporter is selected), bound to the request's span. In a handler:
//
//	instrumentation.Logger(c.Request().Context()).Info("order placed", "order", id)
func Logger(ctx context.Context) *slog.Logger { return telemetry.Logger(ctx) }
