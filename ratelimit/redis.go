package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ErrBackend wraps errors of the Redis backend.
var ErrBackend = errors.New("rate limit backend")

// gcraScript runs GCRA atomically on the Redis server clock. KEYS[1] holds
// the theoretical arrival time in microseconds since the epoch. ARGV[1] is
// the emission interval and ARGV[2] the window, both in microseconds. It
// returns {admitted (0|1), used, prev}: the pending emission time after and
// before the request, in microseconds.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local used = tat + interval - now
if used > window then
  return {0, used, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', math.ceil(used / 1000) + 1)
return {1, used, tat - now}
`)

// Redis is a GCRA limiter whose buckets live in Redis, shared by every
// replica using the same Redis and key prefix. Every call to Redis is bounded
// by Config.RedisTimeout; a Redis that fails DefaultBreakerFailures calls in
// a row is not called for Config.RedisCooldown, then probed by one request.
// Meanwhile (and for each failed call) requests are decided by an in-memory
// limiter with the same limits: limiting continues, per replica.
type Redis struct {
	client   redis.UniversalClient
	cfg      Config
	opts     options
	errs     metric.Int64Counter
	fallback *Memory
	breaker  *breaker

	mu        sync.Mutex
	lastErr   error
	lastErrAt time.Time
	lastOKAt  time.Time
	lastLog   time.Time
	dropped   int
}

var _ Limiter = (*Redis)(nil)

// ErrNoContextTimeout is returned by [NewRedis] for a *redis.Client whose
// ContextTimeoutEnabled is false: such a client ignores the per-call
// deadline and waits its read timeout (seconds) on a frozen Redis.
var ErrNoContextTimeout = errors.New("redis client must set ContextTimeoutEnabled")

// NewRedis returns a limiter for cfg on client. cfg.Redis is not used here:
// the caller dials the client (see [NewRedisClient], which sets the options
// the per-call deadline needs).
func NewRedis(client redis.UniversalClient, cfg Config, opts ...Option) (*Redis, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrInvalidConfig)
	}
	if c, ok := client.(*redis.Client); ok && !c.Options().ContextTimeoutEnabled {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, ErrNoContextTimeout)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := newOptions(opts)
	errs, err := o.meter.Meter("github.com/vigilhq/vigil/ratelimit").Int64Counter(MetricErrors,
		metric.WithDescription("Rate-limit backend errors; each request was decided by the in-memory fallback."),
		metric.WithUnit("{error}"))
	if err != nil {
		return nil, fmt.Errorf("ratelimit: counter: %w", err)
	}
	fallback, err := NewMemory(cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &Redis{client: client, cfg: cfg, opts: o, errs: errs, fallback: fallback,
		breaker: newBreaker(DefaultBreakerFailures, cfg.RedisCooldown, o.now)}, nil
}

// NewRedisClient dials nothing: it parses a redis:// URL into a client
// that honours context deadlines, does not retry and dials within a
// second, so that [Redis] can bound each call.
func NewRedisClient(rawURL string) (*redis.Client, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: ratelimit.redis: %w", ErrInvalidConfig, err)
	}
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	o.DialTimeout = time.Second
	o.DialerRetries = 1
	return redis.NewClient(o), nil
}

// Allow admits or refuses one request. It never returns an error: when
// Redis fails, times out or its breaker is open, the in-memory fallback
// decides, and the failure is logged (throttled) and counted.
func (r *Redis) Allow(ctx context.Context, client, route string) (Decision, error) {
	l, ok := r.cfg.match(route)
	if !ok {
		return Decision{Allowed: true}, nil
	}
	if !r.breaker.allow() {
		return r.fallback.Allow(ctx, client, route)
	}
	interval := l.Per / time.Duration(l.Requests)
	key := r.opts.prefix + l.Route + ":" + client
	cctx, cancel := context.WithTimeoutCause(ctx, r.cfg.RedisTimeout,
		fmt.Errorf("redis did not answer within %s", r.cfg.RedisTimeout))
	res, err := gcraScript.Run(cctx, r.client, []string{key},
		interval.Microseconds(), l.Per.Microseconds()).Int64Slice()
	if err != nil && cctx.Err() != nil {
		err = fmt.Errorf("%w: %w", context.Cause(cctx), err)
	}
	cancel()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("unexpected script result %v", res)
	}
	if err != nil {
		if ctx.Err() != nil { // the client went away: not Redis's fault
			r.breaker.release()
			return r.fallback.Allow(ctx, client, route)
		}
		r.breaker.failure()
		r.failed(ctx, err)
		return r.fallback.Allow(ctx, client, route)
	}
	r.breaker.success()
	r.mu.Lock()
	r.lastOKAt = r.opts.now()
	r.mu.Unlock()
	// decide compares exactly as the script does (used > window).
	d := decide(l, time.Duration(res[1])*time.Microsecond, time.Duration(res[2])*time.Microsecond)
	return d, nil
}

func (r *Redis) failed(ctx context.Context, err error) {
	r.errs.Add(ctx, 1, metric.WithAttributes(attribute.String("backend", "redis")))
	now := r.opts.now()
	r.mu.Lock()
	r.lastErr, r.lastErrAt = err, now
	logNow := r.lastLog.IsZero() || now.Sub(r.lastLog) >= r.opts.logEvery
	suppressed := r.dropped
	if logNow {
		r.lastLog, r.dropped = now, 0
	} else {
		r.dropped++
	}
	r.mu.Unlock()
	if logNow {
		r.opts.logger.WarnContext(ctx, "rate limiter backend failed; limiting in memory",
			"backend", "redis", "error", err.Error(), "suppressed", suppressed)
	}
}

// Health reports "warn" while Redis fails (the last call failed, or the
// breaker is open) with the reason and what the limiter does instead, else
// "pass".
func (r *Redis) Health() (status, detail string) {
	openUntil := r.breaker.state()
	r.mu.Lock()
	defer r.mu.Unlock()
	failing := r.lastErr != nil && !r.lastErrAt.Before(r.lastOKAt)
	switch {
	case !openUntil.IsZero():
		return "warn", fmt.Sprintf("redis unreachable since %s (%v): circuit open, limits kept in memory per replica; next probe after %s",
			r.lastErrAt.UTC().Format(time.RFC3339), r.lastErr, openUntil.UTC().Format(time.RFC3339))
	case failing:
		return "warn", fmt.Sprintf("redis failing since %s (%v): limits kept in memory per replica",
			r.lastErrAt.UTC().Format(time.RFC3339), r.lastErr)
	}
	return "pass", "redis"
}

// Ping checks Redis within the per-call deadline and updates
// [Redis.Health].
func (r *Redis) Ping(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.RedisTimeout)
	defer cancel()
	if err := r.client.Ping(cctx).Err(); err != nil {
		r.failed(ctx, err)
		return fmt.Errorf("%w: ping: %w", ErrBackend, err)
	}
	r.breaker.success()
	r.mu.Lock()
	r.lastOKAt = r.opts.now()
	r.mu.Unlock()
	return nil
}
