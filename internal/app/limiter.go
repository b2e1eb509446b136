package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/server"
	"go.opentelemetry.io/otel/metric"
)

// newLimiter keeps limits in memory, or in Redis when one is configured so
// that replicas share them.
func newLimiter(cfg ratelimit.Config, opts Options, logger *slog.Logger, mp metric.MeterProvider) (ratelimit.Limiter, func(context.Context) error, error) {
	noClose := func(context.Context) error { return nil }
	url := cfg.Redis
	if opts.RateLimitRedis != "" {
		url = opts.RateLimitRedis
	}
	if url == "" {
		l, err := ratelimit.NewMemory(cfg, ratelimit.WithLogger(logger), ratelimit.WithMeterProvider(mp))
		return l, noClose, err
	}
	client, err := ratelimit.NewRedisClient(url)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: ratelimit redis: %w", err)
	}
	closeClient := func(context.Context) error { return client.Close() }
	l, err := ratelimit.NewRedis(client, cfg, ratelimit.WithLogger(logger), ratelimit.WithMeterProvider(mp))
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return l, closeClient, nil
}

// healthReporter is a limiter that can tell whether its backend answers.
type healthReporter interface {
	Health() (status, detail string)
}

func limiterCheck(l ratelimit.Limiter) server.HealthCheck {
	return server.HealthCheck{
		Name:          "ratelimit:backend",
		ComponentType: "component",
		Check: func(context.Context) server.CheckResult {
			if h, ok := l.(healthReporter); ok {
				status, detail := h.Health()
				return server.CheckResult{Status: status, Output: detail}
			}
			return server.CheckResult{Status: server.StatusPass}
		},
	}
}
