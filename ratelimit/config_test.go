package ratelimit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/ratelimit"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ratelimit.ParseConfig([]byte(`
limits:
  - {route: /api/public, requests: 5, per: 30s}
  - {route: /api/chat, requests: 100, per: 1h, name: chat}
redis: redis://127.0.0.1:6379/0
`))
	require.NoError(t, err)
	assert.Equal(t, []ratelimit.Limit{
		{Route: "/api/public", Requests: 5, Per: 30 * time.Second},
		{Route: "/api/chat", Requests: 100, Per: time.Hour, Name: "chat"},
	}, cfg.Limits)
	assert.Equal(t, "redis://127.0.0.1:6379/0", cfg.Redis)

	assert.Equal(t, ratelimit.DefaultLoginLimits(), cfg.Login, "login limits default when not given")
	assert.Equal(t, ratelimit.DefaultRedisTimeout, cfg.RedisTimeout)
	assert.Equal(t, ratelimit.DefaultRedisCooldown, cfg.RedisCooldown)

	cfg, err = ratelimit.ParseConfig([]byte("login: {per_client: {requests: 3, per: 1m}}\nredis_timeout: 20ms\nredis_cooldown: 30s\n"))
	require.NoError(t, err)
	assert.Equal(t, ratelimit.Rate{Requests: 3, Per: time.Minute}, cfg.Login.PerClient)
	assert.Equal(t, ratelimit.DefaultLoginLimits().PerUsername, cfg.Login.PerUsername, "the other budget keeps its default")
	assert.Equal(t, 20*time.Millisecond, cfg.RedisTimeout)
	assert.Equal(t, 30*time.Second, cfg.RedisCooldown)

	cfg, err = ratelimit.ParseConfig(nil)
	require.NoError(t, err)
	assert.Equal(t, ratelimit.DefaultConfig(), cfg, "an empty section gives the defaults")
}

func TestParseConfigErrors(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want string
	}{
		"an unknown field is refused":          {"limits: []\nredis_url: x\n", "redis_url"},
		"a route must start with a slash":      {"limits: [{route: api, requests: 1, per: 1m}]", "ratelimit.limits[0].route"},
		"requests must be positive":            {"limits: [{route: /a, requests: 0, per: 1m}]", "ratelimit.limits[0].requests"},
		"per must be at least a second":        {"limits: [{route: /a, requests: 1, per: 10ms}]", "ratelimit.limits[0].per"},
		"a duplicate route names both entries": {"limits: [{route: /a, requests: 1, per: 1m}, {route: /a, requests: 2, per: 1m}]", "ratelimit.limits[1].route"},
		"a policy name cannot hold a quote":    {`limits: [{route: /a, requests: 1, per: 1m, name: 'x"y'}]`, "ratelimit.limits[0].name"},
		"redis must be a redis URL":            {"redis: http://example.com", "ratelimit.redis"},
		"a bad duration is a parse error":      {"limits: [{route: /a, requests: 1, per: soon}]", "invalid configuration"},
		"a login budget needs requests":        {"login: {per_username: {requests: 0, per: 1m}}", "ratelimit.login.per_username.requests"},
		"a login window is at least a second":  {"login: {per_client: {requests: 3, per: 10ms}}", "ratelimit.login.per_client.per"},
		"a redis timeout is at most 5s":        {"redis_timeout: 1m", "ratelimit.redis_timeout"},
		"a redis cooldown is at least 100ms":   {"redis_cooldown: 1ms", "ratelimit.redis_cooldown"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ratelimit.ParseConfig([]byte(tc.yaml))
			require.Error(t, err)
			assert.True(t, errors.Is(err, ratelimit.ErrInvalidConfig))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("limits: [{route: /api/public, requests: 10, per: 1m}]\nredis: redis://x:1\n"))
	f.Add([]byte("limits: [{route: /, requests: 1000000000, per: 1s}]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ratelimit.ParseConfig(data)
		if err != nil {
			return
		}
		require.NoError(t, cfg.Validate(), "a parsed config is valid")
		m, err := ratelimit.NewMemory(cfg)
		require.NoError(t, err)
		for _, l := range cfg.Limits {
			d, err := m.Allow(t.Context(), "c", l.Route)
			require.NoError(t, err)
			require.True(t, d.Allowed, "the first request of a fresh bucket is admitted")
			require.Equal(t, l.Requests-1, d.Remaining)
		}
	})
}
