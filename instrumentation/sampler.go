package instrumentation

import (
	"context"
	"math"
	"strconv"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"
)

// DefaultSampleRatio is the share of root requests whose trace Vigil
// samples when neither [WithSampler] nor OTEL_TRACES_SAMPLER chooses a
// sampler, up to [DefaultMaxTracesPerSecond]. Failing and slow requests are
// sampled regardless (see [DefaultSampler]).
const DefaultSampleRatio = 0.1

// DefaultMaxTracesPerSecond caps the root traces the default sampler
// samples per process: a tenth of 100 requests per second; above that the
// share falls so that tracing costs the same at any load.
const DefaultMaxTracesPerSecond = 10

// DefaultSampler returns Vigil's default sampler:
// ForceSampling(ParentBased(RateLimited(TraceIDRatioBased(DefaultSampleRatio),
// DefaultMaxTracesPerSecond))).
// A request continuing a sampled trace is sampled, one continuing an
// unsampled trace is not, and a tenth of new traces are, at most 10 per
// second. On top of that the middleware gives every request that ends in a
// 5xx, panics or takes at least its SlowThreshold a sampled server span with
// the request's trace ID (the one in X-Trace-Id), so that alerts can always
// link to an error trace; the cap does not apply to those.
func DefaultSampler() sdktrace.Sampler {
	return ForceSampling(sdktrace.ParentBased(
		RateLimited(sdktrace.TraceIDRatioBased(DefaultSampleRatio), DefaultMaxTracesPerSecond)))
}

// samplerClock is read by RateLimited samplers when they are built; tests
// replace it.
var samplerClock = time.Now

// RateLimited wraps s so that at most perSecond of the spans s samples are
// sampled each second (a token bucket holding one second's worth), the rest
// dropped: the cost of tracing stops growing with the request rate, as
// with Jaeger's rate-limiting sampler. Only s's positive decisions take a
// token. A perSecond ≤ 0 or NaN samples nothing s would have.
func RateLimited(s sdktrace.Sampler, perSecond float64) sdktrace.Sampler {
	if math.IsNaN(perSecond) || perSecond < 0 {
		perSecond = 0
	}
	burst := int(math.Ceil(min(perSecond, math.MaxInt32)))
	return &rateLimited{
		base:      s,
		perSecond: perSecond,
		limiter:   rate.NewLimiter(rate.Limit(perSecond), burst),
		now:       samplerClock,
	}
}

type rateLimited struct {
	base      sdktrace.Sampler
	perSecond float64
	limiter   *rate.Limiter
	now       func() time.Time
}

func (r *rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	res := r.base.ShouldSample(p)
	if res.Decision != sdktrace.RecordAndSample || r.limiter.AllowN(r.now(), 1) {
		return res
	}
	return sdktrace.SamplingResult{
		Decision:   sdktrace.Drop,
		Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState(),
	}
}

func (r *rateLimited) Description() string {
	return "RateLimited{" + strconv.FormatFloat(r.perSecond, 'g', -1, 64) + "/s," + r.base.Description() + "}"
}

// ForceSampling wraps s so that the late server span the middleware starts
// for an unsampled failing or slow request is always sampled. Every other
// decision is s's. Use it to keep that guarantee with a sampler of your own
// given through [WithSampler].
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
