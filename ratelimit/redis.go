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
// replica using the same Redis and key prefix. It fails open.
type Redis struct {
	client redis.UniversalClient
	cfg    Config
	opts   options
	errs   metric.Int64Counter

	mu        sync.Mutex
	lastErr   error
	lastErrAt time.Time
	lastOKAt  time.Time
	lastLog   time.Time
	dropped   int
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter for cfg on client. cfg.Redis is not used here:
// the caller dials the client (see [NewRedisClient]).
func NewRedis(client redis.UniversalClient, cfg Config, opts ...Option) (*Redis, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	errs, err := o.meter.Meter("github.com/vigilhq/vigil/ratelimit").Int64Counter(MetricErrors,
		metric.WithDescription("Rate-limit backend errors; each admitted a request unchecked (fail open)."),
		metric.WithUnit("{error}"))
	if err != nil {
		return nil, fmt.Errorf("ratelimit: counter: %w", err)
	}
	return &Redis{client: client, cfg: cfg, opts: o, errs: errs}, nil
}

// NewRedisClient dials nothing: it parses a redis:// URL into a client.
func NewRedisClient(rawURL string) (*redis.Client, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: ratelimit.redis: %w", ErrInvalidConfig, err)
	}
	return redis.NewClient(o), nil
}

// Allow admits or refuses one request. When Redis fails the request is
// admitted (fail open) and the error is logged, counted and returned as
// nil: the decision then has Allowed true and Limit 0.
func (r *Redis) Allow(ctx context.Context, client, route string) (Decision, error) {
	l, ok := r.cfg.match(route)
	if !ok {
		return Decision{Allowed: true}, nil
	}
	interval := l.Per / time.Duration(l.Requests)
	key := r.opts.prefix + l.Route + ":" + client
	res, err := gcraScript.Run(ctx, r.client, []string{key},
		interval.Microseconds(), l.Per.Microseconds()).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("unexpected script result %v", res)
	}
	if err != nil {
		r.failed(ctx, err)
		return Decision{Allowed: true}, nil
	}
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
		r.opts.logger.WarnContext(ctx, "rate limiter backend failed; admitting requests unchecked",
			"backend", "redis", "error", err.Error(), "suppressed", suppressed)
	}
}

// Health reports "warn" when the last call to Redis failed, else "pass".
func (r *Redis) Health() (status, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr != nil && !r.lastErrAt.Before(r.lastOKAt) {
		return "warn", fmt.Sprintf("redis unreachable since %s, failing open: %v",
			r.lastErrAt.UTC().Format(time.RFC3339), r.lastErr)
	}
	return "pass", "redis"
}

// Ping checks Redis and updates [Redis.Health].
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		r.failed(ctx, err)
		return fmt.Errorf("%w: ping: %w", ErrBackend, err)
	}
	r.mu.Lock()
	r.lastOKAt = r.opts.now()
	r.mu.Unlock()
	return nil
}
