package instrumentation

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultSampleRatio is the share of root requests whose trace Vigil
// samples when neither [WithSampler] nor OTEL_TRACES_SAMPLER chooses a
// sampler. Failing and slow requests are sampled regardless (see
// [DefaultSampler]).
const DefaultSampleRatio = 0.1

// DefaultSampler returns Vigil's default sampler:
// ForceSampling(ParentBased(TraceIDRatioBased(DefaultSampleRatio))).
// A request continuing a sampled trace is sampled, one continuing an
// unsampled trace is not, and a tenth of new traces are. On top of that the
// middleware gives every request that ends in a 5xx, panics or takes at
// least its SlowThreshold a sampled server span with the request's trace ID
// (the one in X-Trace-Id), so that alerts can always link to an error trace.
func DefaultSampler() sdktrace.Sampler {
	return ForceSampling(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(DefaultSampleRatio)))
}

// ForceSampling wraps s so that the late server span the middleware starts
// for an unsampled failing or slow request is always sampled. Every other
// decision is s's. Use it to keep that guarantee with a sampler of your own
// given through [WithSampler].
func ForceSampling(s sdktrace.Sampler) sdktrace.Sampler {
	return forceSampler{base: s}
}

// forceKey marks the context of a late span that must be sampled.
type forceKey struct{}

func withForcedSampling(ctx context.Context) context.Context {
	return context.WithValue(ctx, forceKey{}, true)
}

type forceSampler struct {
	base sdktrace.Sampler
}

func (f forceSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := f.base.ShouldSample(p)
	if r.Decision == sdktrace.RecordAndSample || p.ParentContext == nil || p.ParentContext.Value(forceKey{}) == nil {
		return r
	}
	return sdktrace.SamplingResult{
		Decision:   sdktrace.RecordAndSample,
		Attributes: r.Attributes,
		Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState(),
	}
}

func (f forceSampler) Description() string {
	return "ForceSampling{" + f.base.Description() + "}"
}
