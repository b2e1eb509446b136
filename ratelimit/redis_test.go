package ratelimit_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/ratelimit"
)

// redisClient connects to the test Redis (VIGIL_TEST_REDIS, default
// redis://127.0.0.1:6379/0). It skips when Redis is absent, unless CI is
// set, where it fails.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("VIGIL_TEST_REDIS")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	c, err := ratelimit.NewRedisClient(url)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("redis at %s unreachable: %v", url, err)
		}
		t.Skipf("redis at %s unreachable: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func uniquePrefix(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "vigil:test:" + t.Name() + ":" + hex.EncodeToString(b) + ":"
}

func TestRedisTwoReplicasShareOneBudget(t *testing.T) {
	prefix := uniquePrefix(t)
	c1, c2 := redisClient(t), redisClient(t) // two connections, as two replicas
	cfg := ratelimit.Config{Limits: []ratelimit.Limit{{Route: "/api/public", Requests: 10, Per: time.Hour}}, RedisTimeout: 5 * time.Second}
	a, err := ratelimit.NewRedis(c1, cfg, ratelimit.WithKeyPrefix(prefix))
	require.NoError(t, err)
	b, err := ratelimit.NewRedis(c2, cfg, ratelimit.WithKeyPrefix(prefix))
	require.NoError(t, err)

	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	for i := range 40 {
		lim, name := a, "a"
		if i%2 == 1 {
			lim, name = b, "b"
		}
		wg.Go(func() {
			d, err := lim.Allow(t.Context(), "alice", "/api/public")
			assert.NoError(t, err)
			assert.True(t, d.Limited(), "redis answered")
			if d.Allowed {
				mu.Lock()
				admitted[name]++
				mu.Unlock()
			} else {
				assert.Greater(t, d.RetryAfter, time.Duration(0))
				assert.LessOrEqual(t, d.RetryAfter, 6*time.Minute)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 10, admitted["a"]+admitted["b"], "10 admitted in total across both replicas: %v", admitted)

	d, err := b.Allow(t.Context(), "bob", "/api/public")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, 9, d.Remaining, "bob has his own budget")
	status, _ := a.Health()
	assert.Equal(t, "pass", status)

	ttl := c1.PTTL(t.Context(), prefix+"/api/public:alice").Val()
	assert.Greater(t, ttl, 59*time.Minute, "the key expires when the bucket is full again")
	assert.LessOrEqual(t, ttl, time.Hour+time.Second)
}

func TestRedisDecisionMatchesMemory(t *testing.T) {
	prefix := uniquePrefix(t)
	r, err := ratelimit.NewRedis(redisClient(t), tenPerMinute(), ratelimit.WithKeyPrefix(prefix))
	require.NoError(t, err)
	for i := range 10 {
		d, err := r.Allow(t.Context(), "x", "/api/public")
		require.NoError(t, err)
		require.True(t, d.Allowed)
		assert.Equal(t, 9-i, d.Remaining)
	}
	d, err := r.Allow(t.Context(), "x", "/api/public")
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	assert.InDelta(t, 6*time.Second, d.RetryAfter, float64(time.Second), "retry after about one interval")
	d, _ = r.Allow(t.Context(), "x", "/api/users/1")
	assert.False(t, d.Limited(), "unlisted route")
}

// TestRedisDownLimitsInMemory: with nothing listening, the limiter calls
// Redis until the breaker opens, then keeps limiting in memory. (It used to
// admit every request unchecked: fail open without a limit.)
func TestRedisDownLimitsInMemory(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // a closed port

	client := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond, ContextTimeoutEnabled: true,
		DialerRetries: 1, PoolSize: 1000, // no background redial goroutine within this test
	})
	defer client.Close()
	var logs bytes.Buffer
	reader := sdkmetric.NewManualReader()
	clock := newClock()
	r, err := ratelimit.NewRedis(client, tenPerMinute(),
		ratelimit.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		ratelimit.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		ratelimit.WithNow(clock.Now))
	require.NoError(t, err)

	admitted := 0
	for range 20 {
		d, err := r.Allow(t.Context(), "alice", "/api/public")
		require.NoError(t, err)
		assert.True(t, d.Limited(), "the in-memory fallback decides, with headers")
		if d.Allowed {
			admitted++
		}
	}
	assert.Equal(t, 10, admitted, "limits hold in memory while Redis is down")
	status, detail := r.Health()
	assert.Equal(t, "warn", status)
	assert.Contains(t, detail, "circuit open")
	assert.Contains(t, detail, "in memory")
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("rate limiter backend failed")), "logging is throttled")
	assert.Equal(t, int64(ratelimit.DefaultBreakerFailures), metricSum(t, reader, ratelimit.MetricErrors),
		"Redis is called until the breaker opens, then left alone")
	assert.Error(t, r.Ping(t.Context()))
}

func TestNewRedisRefusesAClientWithoutContextTimeouts(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	_, err := ratelimit.NewRedis(client, tenPerMinute())
	assert.ErrorIs(t, err, ratelimit.ErrNoContextTimeout)
}

func metricSum(t *testing.T, reader *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name == name {
				for _, dp := range md.Data.(metricdata.Sum[int64]).DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}
