package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/ratelimit"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tenPerMinute limits /api/public to 10 per minute. Its Redis deadline is
// generous: tests of decisions must not fall back to memory on a busy
// machine (the breaker tests set their own).
func tenPerMinute() ratelimit.Config {
	return ratelimit.Config{
		Limits:       []ratelimit.Limit{{Route: "/api/public", Requests: 10, Per: time.Minute}},
		RedisTimeout: 5 * time.Second,
	}
}

func TestMemoryBurstExactlyLimitThenRetryAfter(t *testing.T) {
	clock := newClock()
	m, err := ratelimit.NewMemory(tenPerMinute(), ratelimit.WithNow(clock.Now))
	require.NoError(t, err)
	ctx := context.Background()

	for i := range 10 {
		d, err := m.Allow(ctx, "alice", "/api/public")
		require.NoError(t, err)
		require.Truef(t, d.Allowed, "request %d", i+1)
		assert.Equal(t, 10, d.Limit)
		assert.Equal(t, 9-i, d.Remaining, "remaining after request %d", i+1)
		assert.Equal(t, time.Duration(i+1)*6*time.Second, d.Reset, "reset after request %d", i+1)
		assert.Equal(t, `"default";q=10;w=60`, d.Policy)
	}
	d, err := m.Allow(ctx, "alice", "/api/public")
	require.NoError(t, err)
	assert.False(t, d.Allowed, "11th request in the same instant")
	assert.Equal(t, 0, d.Remaining)
	assert.Equal(t, 6*time.Second, d.RetryAfter)
	assert.Equal(t, time.Minute, d.Reset)

	// Another client has its own budget.
	d, _ = m.Allow(ctx, "bob", "/api/public")
	assert.True(t, d.Allowed, "bob is not limited by alice")

	// 5.999 s later still refused; at 6 s exactly one more.
	clock.Advance(6*time.Second - time.Millisecond)
	d, _ = m.Allow(ctx, "alice", "/api/public")
	assert.False(t, d.Allowed)
	assert.Equal(t, time.Millisecond, d.RetryAfter)
	clock.Advance(time.Millisecond)
	d, _ = m.Allow(ctx, "alice", "/api/public")
	assert.True(t, d.Allowed, "one request regained after 6 s")
	assert.Equal(t, 0, d.Remaining)
	d, _ = m.Allow(ctx, "alice", "/api/public")
	assert.False(t, d.Allowed, "and only one")

	// A full window later the whole burst is back.
	clock.Advance(time.Minute)
	admitted := 0
	for range 20 {
		if d, _ := m.Allow(ctx, "alice", "/api/public"); d.Allowed {
			admitted++
		}
	}
	assert.Equal(t, 10, admitted)
}

func TestMemoryRoutes(t *testing.T) {
	tests := map[string]struct {
		route   string
		limited bool
		limit   int
	}{
		"an unlisted route is unlimited":          {route: "/api/users/:id", limited: false},
		"an exact route is limited":               {route: "/api/chat", limited: true, limit: 60},
		"a route below a limited one is limited":  {route: "/api/chat/stream", limited: true, limit: 60},
		"a route sharing only a prefix is not":    {route: "/api/chatter", limited: false},
		"the public route has the default budget": {route: "/api/public", limited: true, limit: 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := ratelimit.NewMemory(ratelimit.DefaultConfig())
			require.NoError(t, err)
			d, err := m.Allow(context.Background(), "c", tc.route)
			require.NoError(t, err)
			assert.True(t, d.Allowed)
			assert.Equal(t, tc.limited, d.Limited())
			assert.Equal(t, tc.limit, d.Limit)
		})
	}
}

func TestMemoryStaysBounded(t *testing.T) {
	clock := newClock()
	m, err := ratelimit.NewMemory(tenPerMinute(), ratelimit.WithNow(clock.Now), ratelimit.WithMaxKeys(100))
	require.NoError(t, err)
	for i := range 1000 {
		_, _ = m.Allow(context.Background(), fmt.Sprint("client-", i), "/api/public")
	}
	assert.LessOrEqual(t, m.Len(), 100)

	// Idle keys (full buckets) are swept.
	clock.Advance(2 * time.Minute)
	_, _ = m.Allow(context.Background(), "late", "/api/public")
	assert.Equal(t, 1, m.Len())
	status, _ := m.Health()
	assert.Equal(t, "pass", status)
}

func TestDecisionNextIn(t *testing.T) {
	clock := newClock()
	m, err := ratelimit.NewMemory(tenPerMinute(), ratelimit.WithNow(clock.Now))
	require.NoError(t, err)
	d, _ := m.Allow(context.Background(), "a", "/api/public")
	assert.Equal(t, 6*time.Second, d.NextIn(), "one used: regained in one interval")
	clock.Advance(2 * time.Second)
	d, _ = m.Allow(context.Background(), "a", "/api/public")
	// used 4 s + 6 s = 10 s pending; 8 remaining; next token in 4 s.
	assert.Equal(t, 8, d.Remaining)
	assert.Equal(t, 4*time.Second, d.NextIn())
}
