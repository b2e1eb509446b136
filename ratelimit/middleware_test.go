package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/security"
)

func newEcho(t *testing.T, cfg ratelimit.MiddlewareConfig) *echo.Echo {
	t.Helper()
	e := echo.New()
	e.Use(ratelimit.Middleware(cfg))
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	e.GET("/api/public", ok)
	e.GET("/api/users/:id", ok)
	return e
}

func TestMiddlewareHeaders(t *testing.T) {
	clock := newClock()
	m, err := ratelimit.NewMemory(tenPerMinute(), ratelimit.WithNow(clock.Now))
	require.NoError(t, err)
	var limitedCalls []string
	reader := sdkmetric.NewManualReader()
	e := newEcho(t, ratelimit.MiddlewareConfig{
		Limiter:       m,
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		OnLimited: func(c echo.Context, client, route string, d ratelimit.Decision) {
			limitedCalls = append(limitedCalls, client+" "+route)
		},
	})
	do := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = "192.0.2.7:1234"
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	rec := do("/api/public")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, `"default";q=10;w=60`, rec.Header().Get("RateLimit-Policy"))
	assert.Equal(t, `"default";r=9;t=6`, rec.Header().Get("RateLimit"))
	assert.Equal(t, "10", rec.Header().Get("X-RateLimit-Limit"))
	assert.Equal(t, "9", rec.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, "6", rec.Header().Get("X-RateLimit-Reset"))
	assert.Empty(t, rec.Header().Get("Retry-After"))

	rec = do("/api/users/1")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get("RateLimit"), "an unlimited route carries no rate-limit headers")

	for range 9 {
		do("/api/public")
	}
	clock.Advance(1500 * time.Millisecond)
	rec = do("/api/public")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "5", rec.Header().Get("Retry-After"), "4.5 s rounded up")
	assert.Equal(t, `"default";r=0;t=5`, rec.Header().Get("RateLimit"))
	assert.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, "5", rec.Header().Get("X-RateLimit-Reset"), "the moment of Retry-After and t, not the 58.5 s until the bucket is full")
	assert.Contains(t, rec.Body.String(), "rate limit exceeded")
	assert.Equal(t, []string{"192.0.2.7 /api/public"}, limitedCalls)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name == instrumentation.MetricRateLimited {
				for _, dp := range md.Data.(metricdata.Sum[int64]).DataPoints {
					total += dp.Value
				}
			}
		}
	}
	assert.Equal(t, int64(1), total, "one refusal counted")
}

func TestMiddlewareClientIsPrincipal(t *testing.T) {
	m, err := ratelimit.NewMemory(tenPerMinute())
	require.NoError(t, err)
	auth, err := security.NewAuthenticator(security.Config{
		Keys:      []security.KeyConfig{{Name: "key-a", Role: security.RoleClient, KeyEnv: "KEY_A"}},
		LookupEnv: func(k string) (string, bool) { return "secret-a", k == "KEY_A" },
	})
	require.NoError(t, err)
	e := echo.New()
	e.Use(auth.Authenticate())
	var clients []string
	e.Use(ratelimit.Middleware(ratelimit.MiddlewareConfig{
		Limiter:   m,
		Skipper:   ratelimit.SkipAdmin("/admin"),
		OnLimited: func(_ echo.Context, client, _ string, _ ratelimit.Decision) { clients = append(clients, client) },
	}))
	e.GET("/api/public", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.GET("/admin/x", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	codes := map[int]int{}
	for range 11 {
		req := httptest.NewRequest(http.MethodGet, "/api/public", nil)
		req.Header.Set("X-API-Key", "secret-a")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	assert.Equal(t, map[int]int{200: 10, 429: 1}, codes)
	assert.Equal(t, []string{"key-a"}, clients, "the client is the principal name")
}

// TestLoopbackBurst is the original specification's loop: 20 requests to
// /api/public over a real socket admit exactly 10.
func TestLoopbackBurst(t *testing.T) {
	m, err := ratelimit.NewMemory(ratelimit.DefaultConfig())
	require.NoError(t, err)
	srv := httptest.NewServer(newEcho(t, ratelimit.MiddlewareConfig{Limiter: m}))
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	var codes []int
	for i := range 20 {
		resp, err := client.Get(srv.URL + "/api/public")
		require.NoError(t, err)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		remaining, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
		assert.Equal(t, "10", resp.Header.Get("X-RateLimit-Limit"))
		assert.Equal(t, `"default";q=10;w=60`, resp.Header.Get("RateLimit-Policy"))
		if i < 10 {
			assert.Equal(t, 9-i, remaining)
			assert.Empty(t, resp.Header.Get("Retry-After"))
		} else {
			assert.Equal(t, 0, remaining)
			retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			require.NoError(t, err)
			assert.True(t, retry >= 1 && retry <= 6, "retry-after %d within one emission interval", retry)
		}
	}
	want := make([]int, 20)
	for i := range want {
		want[i] = http.StatusOK
		if i >= 10 {
			want[i] = http.StatusTooManyRequests
		}
	}
	assert.Equal(t, want, codes)
}
