package ratelimit

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/security"
)

// Backend is a limiter the application runs: it decides, reports its
// health for /api/health and is closed on shutdown.
type Backend interface {
	Limiter
	// Health returns "pass" or "warn" and a detail for /api/health.
	Health() (status, detail string)
	Close() error
}

// New returns the Redis limiter when cfg.Redis is set, else the in-memory
// one. It does not contact Redis: a Redis that is down only makes the
// limiter fail open and report "warn".
func New(cfg Config, opts ...Option) (Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Redis == "" {
		m, err := NewMemory(cfg, opts...)
		if err != nil {
			return nil, err
		}
		return memoryBackend{m}, nil
	}
	client, err := NewRedisClient(cfg.Redis)
	if err != nil {
		return nil, err
	}
	r, err := NewRedis(client, cfg, opts...)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return redisBackend{r}, nil
}

type memoryBackend struct{ *Memory }

func (memoryBackend) Close() error { return nil }

type redisBackend struct{ *Redis }

func (b redisBackend) Close() error {
	if err := b.client.Close(); err != nil {
		return fmt.Errorf("ratelimit: close redis: %w", err)
	}
	return nil
}

// RecordLimited returns a [MiddlewareConfig.OnLimited] hook recording an
// excess_rate_limit_exceeded security event into sink.
func RecordLimited(sink security.EventSink) func(c echo.Context, client, route string, d Decision) {
	return func(c echo.Context, client, route string, d Decision) {
		e := security.EventFrom(c, security.EventRateLimitExceeded,
			fmt.Sprintf("limit %d per %s exceeded", d.Limit, d.Window))
		if e.Client == "" {
			e.Client = client
		}
		sink.Record(c.Request().Context(), e)
	}
}

// RecordLoginLimited returns a [LoginConfig.OnLimited] hook recording an
// OWASP event into sink: authn_login_fail_max when the username's budget
// refused the attempt, excess_rate_limit_exceeded when the client's did.
func RecordLoginLimited(sink security.EventSink) func(c echo.Context, client string, perUsername bool, d Decision) {
	return func(c echo.Context, client string, perUsername bool, d Decision) {
		typ, detail := security.EventRateLimitExceeded, fmt.Sprintf("login attempts: limit %d per %s per client exceeded", d.Limit, d.Window)
		if perUsername {
			typ, detail = security.EventAuthnLoginFailMax, fmt.Sprintf("login attempts: limit %d per %s per username exceeded", d.Limit, d.Window)
		}
		e := security.EventFrom(c, typ, detail)
		if e.Client == "" {
			e.Client = client
		}
		sink.Record(c.Request().Context(), e)
	}
}
