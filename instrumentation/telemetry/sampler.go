package telemetry

import (
	"math"
	"strconv"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
	"github.com/vigilhq/vigil/instrumentation/internal/clock"
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
// httpserver.ForceSampling(ParentBased(RateLimited(TraceIDRatioBased(DefaultSampleRatio),
// DefaultMaxTracesPerSecond))).
// A request continuing a sampled trace is sampled, one continuing an
// unsampled trace is not, and a tenth of new traces are, at most 10 per
// second. On top of that the middleware gives every request that ends in a
// 5xx, panics or takes at least its slow threshold a sampled server span with
// the request's trace ID (the one in X-Trace-Id), so that alerts can always
// link to an error trace; the cap does not apply to those.
func DefaultSampler() sdktrace.Sampler {
	return httpserver.ForceSampling(sdktrace.ParentBased(
		RateLimited(sdktrace.TraceIDRatioBased(DefaultSampleRatio), DefaultMaxTracesPerSecond)))
}

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
		now:       clock.Sampler,
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
