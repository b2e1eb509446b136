package ratelimit_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/vigilhq/vigil/ratelimit"
)

// redisProc is a redis-server of the test's own on a free loopback port,
// never the shared one: the breaker tests stop and kill it.
type redisProc struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startRedis(t *testing.T) *redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not installed: %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	p := &redisProc{t: t, port: port}
	p.start(bin)
	t.Cleanup(p.stop)
	return p
}

func (p *redisProc) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", p.port) }

func (p *redisProc) start(bin string) {
	p.t.Helper()
	p.cmd = exec.Command(bin, "--port", fmt.Sprint(p.port), "--bind", "127.0.0.1", //nolint:gosec // the test's own redis-server
		"--save", "", "--appendonly", "no", "--dir", p.t.TempDir())
	require.NoError(p.t, p.cmd.Start())
	c, err := ratelimit.NewRedisClient(p.url())
	require.NoError(p.t, err)
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for { // setup: wait for the server to accept commands
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		require.True(p.t, time.Now().Before(deadline), "redis-server on %d did not start: %v", p.port, err)
		time.Sleep(20 * time.Millisecond)
	}
}

// freeze stops the process (SIGSTOP): connections are accepted by the
// kernel and never answered, as with a hung Redis.
func (p *redisProc) freeze() { require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGSTOP)) }

func (p *redisProc) thaw() { require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGCONT)) }

func (p *redisProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

func (p *redisProc) restart() {
	bin, err := exec.LookPath("redis-server")
	require.NoError(p.t, err)
	p.start(bin)
}

func (p *redisProc) stop() {
	if p.cmd != nil {
		p.kill()
	}
}

// breakerLimiter is a Redis limiter on p with a 50 ms per-call deadline
// and a fake clock for the breaker's cooldown.
func breakerLimiter(t *testing.T, p *redisProc, clock *fakeClock) (*ratelimit.Redis, *sdkmetric.ManualReader) {
	t.Helper()
	client, err := ratelimit.NewRedisClient(p.url())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	cfg := tenPerMinute()
	cfg.RedisTimeout = 50 * time.Millisecond
	cfg.RedisCooldown = 10 * time.Second
	reader := sdkmetric.NewManualReader()
	r, err := ratelimit.NewRedis(client, cfg, ratelimit.WithKeyPrefix(uniquePrefix(t)), ratelimit.WithNow(clock.Now),
		ratelimit.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	require.NoError(t, err)
	return r, reader
}

// slowest is the longest Allow of n calls by one client.
func slowest(t *testing.T, r *ratelimit.Redis, n int) (time.Duration, int) {
	t.Helper()
	var worst time.Duration
	admitted := 0
	for range n {
		start := time.Now()
		d, err := r.Allow(t.Context(), "alice", "/api/public")
		worst = max(worst, time.Since(start))
		require.NoError(t, err)
		require.True(t, d.Limited())
		if d.Allowed {
			admitted++
		}
	}
	return worst, admitted
}

// TestFrozenRedisIsSkippedFast is issue 21 item 7: a SIGSTOPped Redis
// added 5 s to every rate-limited request. Now each call is bounded by the
// per-call deadline, the breaker stops calling after three failures, the
// limits hold in memory meanwhile and /api/health says so; after the
// cooldown one request probes, and once Redis answers it is used again.
func TestFrozenRedisIsSkippedFast(t *testing.T) {
	p := startRedis(t)
	clock := newClock()
	r, reader := breakerLimiter(t, p, clock)
	d, err := r.Allow(t.Context(), "warm", "/api/public")
	require.NoError(t, err)
	require.True(t, d.Allowed)
	assert.Equal(t, "pass", first(r.Health()))

	p.freeze()
	t.Cleanup(func() { _ = p.cmd.Process.Signal(syscall.SIGCONT) })
	worst, admitted := slowest(t, r, 20)
	// Generous bound: the per-call deadline is 50 ms; before the fix each
	// call waited the client's read timeout (seconds).
	assert.Less(t, worst, 2*time.Second, "no request waits on a frozen Redis")
	assert.Equal(t, 10, admitted, "limited in memory meanwhile")
	assert.Equal(t, int64(ratelimit.DefaultBreakerFailures), metricSum(t, reader, ratelimit.MetricErrors),
		"after three timeouts the breaker stops calling Redis")
	status, detail := r.Health()
	assert.Equal(t, "warn", status)
	assert.Contains(t, detail, "circuit open")

	clock.Advance(11 * time.Second) // cooldown over: one probe, which times out
	worst, _ = slowest(t, r, 5)
	assert.Less(t, worst, 2*time.Second)
	assert.Equal(t, int64(ratelimit.DefaultBreakerFailures+1), metricSum(t, reader, ratelimit.MetricErrors),
		"half-open: exactly one probe")

	p.thaw()
	require.Eventually(t, func() bool { // the thawed server first drains what it was sent
		clock.Advance(11 * time.Second) // each attempt is a new half-open probe
		d, err := r.Allow(t.Context(), "bob", "/api/public")
		return err == nil && d.Allowed && first(r.Health()) == "pass"
	}, 20*time.Second, 10*time.Millisecond, "the probe closes the breaker once Redis answers")
	assert.Equal(t, "pass", first(r.Health()))
}

// TestKilledRedisIsSkippedAndReturnsToUse: a killed Redis refuses
// connections; the breaker opens the same way and a restarted one is used
// again after the cooldown.
func TestKilledRedisIsSkippedAndReturnsToUse(t *testing.T) {
	p := startRedis(t)
	clock := newClock()
	r, reader := breakerLimiter(t, p, clock)
	_, err := r.Allow(t.Context(), "warm", "/api/public")
	require.NoError(t, err)

	p.kill()
	worst, admitted := slowest(t, r, 20)
	assert.Less(t, worst, 2*time.Second)
	assert.Equal(t, 10, admitted)
	assert.Equal(t, int64(ratelimit.DefaultBreakerFailures), metricSum(t, reader, ratelimit.MetricErrors))
	assert.Equal(t, "warn", first(r.Health()))

	p.restart()
	clock.Advance(11 * time.Second)
	d, err := r.Allow(t.Context(), "carol", "/api/public")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, 9, d.Remaining)
	assert.Equal(t, "pass", first(r.Health()), "the probe found Redis back")
	assert.Equal(t, int64(ratelimit.DefaultBreakerFailures), metricSum(t, reader, ratelimit.MetricErrors))
}
