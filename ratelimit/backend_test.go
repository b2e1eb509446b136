package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/store"
)

func TestNewChoosesBackend(t *testing.T) {
	b, err := ratelimit.New(ratelimit.DefaultConfig())
	require.NoError(t, err)
	status, detail := b.Health()
	assert.Equal(t, "pass", status)
	assert.Contains(t, detail, "in-memory")
	require.NoError(t, b.Close())

	cfg := ratelimit.DefaultConfig()
	cfg.Redis = "redis://127.0.0.1:1/0" // nothing listens on port 1
	b, err = ratelimit.New(cfg)
	require.NoError(t, err, "a down Redis does not stop the start")
	assert.Equal(t, "pass", first(b.Health()), "healthy until a call fails")
	d, err := b.Allow(t.Context(), "c", "/api/public")
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, "warn", first(b.Health()))
	require.NoError(t, b.Close())

	cfg.Redis = "http://x"
	_, err = ratelimit.New(cfg)
	assert.ErrorIs(t, err, ratelimit.ErrInvalidConfig)
}

func first(a, _ string) string { return a }

type sink struct {
	mu     sync.Mutex
	events []store.SecurityEvent
}

func (s *sink) Record(_ context.Context, e store.SecurityEvent) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

func TestRecordLimited(t *testing.T) {
	m, err := ratelimit.NewMemory(tenPerMinute())
	require.NoError(t, err)
	s := &sink{}
	e := newEcho(t, ratelimit.MiddlewareConfig{Limiter: m, OnLimited: ratelimit.RecordLimited(s)})
	for range 12 {
		req := httptest.NewRequest(http.MethodGet, "/api/public", nil)
		req.RemoteAddr = "198.51.100.4:5"
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Len(t, s.events, 2)
	ev := s.events[0]
	assert.Equal(t, "excess_rate_limit_exceeded", ev.Type)
	assert.Equal(t, "198.51.100.4", ev.Client)
	assert.Equal(t, "198.51.100.4", ev.IP)
	assert.Equal(t, "/api/public", ev.Route)
	assert.Equal(t, http.MethodGet, ev.Method)
}
