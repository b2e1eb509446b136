package httpserver

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ForceSampling wraps s so that the late server span the instrumentation
// starts for an unsampled failing or slow request is always sampled (see
// [WithSlowThreshold]). Every other decision is s's. telemetry.Setup's
// default sampler includes it; wrap a sampler of your own in it to keep
// that guarantee.
func ForceSampling(s sdktrace.Sampler) sdktrace.Sampler {
	return forceSampler{base: s}
}

// forcedContext is the context a late span is started with: its type is
// the mark, so the sampler recognises it without walking the context chain
// (a Value lookup missing on every unsampled request's context would walk
// all of net/http's layers).
type forcedContext struct{ context.Context }

// withForcedSampling marks ctx, which must already hold the late span's
// parent, for ForceSampling.
func withForcedSampling(ctx context.Context) context.Context {
	return forcedContext{ctx}
}

type forceSampler struct {
	base sdktrace.Sampler
}

func (f forceSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := f.base.ShouldSample(p)
	if r.Decision == sdktrace.RecordAndSample {
		return r
	}
	if _, forced := p.ParentContext.(forcedContext); !forced {
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
