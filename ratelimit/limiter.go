package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/internal/option"
)

// MetricErrors counts limiter backend errors (each one a request admitted
// without a limit check). Attribute: backend.
const MetricErrors = "vigil.ratelimit.errors"

// DefaultMaxKeys bounds the keys the in-memory limiter keeps.
const DefaultMaxKeys = 100_000

// DefaultLogEvery is the minimum interval between two logged backend errors.
const DefaultLogEvery = 10 * time.Second

// Limiter decides whether a client may call a route now.
type Limiter interface {
	Allow(ctx context.Context, client, route string) (Decision, error)
}

// Decision is the answer of [Limiter.Allow]. On an unlimited route Limit is
// 0 and Allowed is true.
type Decision struct {
	Allowed   bool
	Limit     int           // requests per window; 0 when the route is unlimited
	Remaining int           // requests still admitted now
	Reset     time.Duration // until the bucket is full again
	// RetryAfter is, when Allowed is false, how long until one request is
	// admitted.
	RetryAfter time.Duration
	Window     time.Duration
	// Policy is the policy in the RateLimit-Policy syntax: "default";q=10;w=60.
	Policy string
	// Name is the policy name.
	Name string
}

// Limited reports whether a limit applies to the route of the decision.
func (d Decision) Limited() bool { return d.Limit > 0 }

// NextIn is how long until more quota is available: RetryAfter when the
// request was refused, else until the next request is regained (0 when the
// bucket is full).
func (d Decision) NextIn() time.Duration {
	if !d.Allowed {
		return d.RetryAfter
	}
	if d.Limit <= 0 || d.Remaining >= d.Limit {
		return 0
	}
	t := d.Window / time.Duration(d.Limit)
	next := d.Reset - time.Duration(d.Limit-d.Remaining-1)*t
	return max(next, 0)
}

// Seconds is [Decision.NextIn] in whole seconds, rounded up, and at least 1
// when the request was refused: the value of the t parameter of RateLimit,
// of X-RateLimit-Reset and, on a refusal, of Retry-After. A client that
// waits that long gets at least one more request.
func (d Decision) Seconds() int64 {
	s := ceilSeconds(d.NextIn())
	if !d.Allowed {
		s = max(s, 1)
	}
	return s
}

func policy(l Limit) (name, header string) {
	name = l.Name
	if name == "" {
		name = DefaultPolicyName
	}
	return name, fmt.Sprintf("%q;q=%d;w=%d", name, l.Requests, ceilSeconds(l.Per))
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// gcra applies one request at now to a bucket whose theoretical arrival
// time is tat (zero: a new, full bucket). It returns the decision and the
// new tat (unchanged when refused).
func gcra(l Limit, tat, now time.Time) (Decision, time.Time) {
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(l.Per / time.Duration(l.Requests))
	d := decide(l, newTAT.Sub(now), tat.Sub(now))
	if !d.Allowed {
		return d, tat
	}
	return d, newTAT
}

// decide builds the decision from the pending emission time of the bucket
// after admitting the request (used) and before it (prev): the request is
// admitted when used <= Per.
func decide(l Limit, used, prev time.Duration) Decision {
	name, pol := policy(l)
	t := l.Per / time.Duration(l.Requests)
	d := Decision{Limit: l.Requests, Window: l.Per, Policy: pol, Name: name}
	if used > l.Per {
		d.RetryAfter = used - l.Per
		d.Reset = prev
		return d
	}
	d.Allowed = true
	d.Reset = used
	d.Remaining = int((l.Per - used) / t)
	return d
}

// Option configures [NewMemory] and [NewRedis].
type Option interface {
	apply(options) options
}

type options struct {
	now      func() time.Time
	maxKeys  int
	logger   *slog.Logger
	meter    metric.MeterProvider
	logEvery time.Duration
	prefix   string
}

type optionFunc func(options) options

func (f optionFunc) apply(o options) options { return f(o) }

func newOptions(opts []Option) options {
	o := options{
		now:      time.Now,
		maxKeys:  DefaultMaxKeys,
		logger:   slog.New(slog.DiscardHandler),
		meter:    otel.GetMeterProvider(),
		logEvery: DefaultLogEvery,
		prefix:   "vigil:ratelimit:",
	}
	for _, opt := range opts {
		if opt != nil {
			o = opt.apply(o)
		}
	}
	return o
}

// WithNow sets the clock of the in-memory limiter and of log throttling.
// Default time.Now. (The Redis limiter uses the Redis server clock.)
func WithNow(now func() time.Time) Option {
	return optionFunc(option.When(now != nil, func(o *options) { o.now = now }))
}

// WithMaxKeys bounds the keys of the in-memory limiter. Default
// [DefaultMaxKeys].
func WithMaxKeys(n int) Option {
	return optionFunc(option.When(n > 0, func(o *options) { o.maxKeys = n }))
}

// WithLogger sets the logger of backend errors. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(option.When(l != nil, func(o *options) { o.logger = l }))
}

// WithMeterProvider sets the meter provider of the error counter. Default
// the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(option.When(mp != nil, func(o *options) { o.meter = mp }))
}

// WithKeyPrefix sets the prefix of Redis keys. Default "vigil:ratelimit:".
func WithKeyPrefix(p string) Option {
	return optionFunc(func(o options) options {
		o.prefix = p
		return o
	})
}

// WithLogEvery sets the minimum interval between two logged backend errors.
// Default [DefaultLogEvery].
func WithLogEvery(d time.Duration) Option {
	return optionFunc(option.When(d > 0, func(o *options) { o.logEvery = d }))
}
