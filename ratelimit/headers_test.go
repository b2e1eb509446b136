package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/ratelimit"
)

var rateLimitField = regexp.MustCompile(`^"([^"]*)";r=(\d+);t=(\d+)$`)

// assertOneMoment checks that every limit header of one response names the
// same moment: the t parameter of RateLimit, X-RateLimit-Reset and, on a
// 429, Retry-After (draft-ietf-httpapi-ratelimit-headers-10 section 6: a
// Retry-After no earlier than t; here equal to it).
func assertOneMoment(t testing.TB, code int, h http.Header) {
	t.Helper()
	m := rateLimitField.FindStringSubmatch(h.Get(ratelimit.HeaderRateLimit))
	require.NotNil(t, m, "RateLimit %q", h.Get(ratelimit.HeaderRateLimit))
	assert.Equal(t, m[2], h.Get(ratelimit.HeaderXRemaining), "r and X-RateLimit-Remaining")
	assert.Equal(t, m[3], h.Get(ratelimit.HeaderXReset), "t and X-RateLimit-Reset")
	if code == http.StatusTooManyRequests {
		assert.Equal(t, m[3], h.Get("Retry-After"), "t and Retry-After")
		secs, err := strconv.Atoi(h.Get("Retry-After"))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, secs, 1, "a refusal never says retry now")
		assert.Equal(t, "0", m[2], "a refusal has no quota left")
	} else {
		assert.Empty(t, h.Get("Retry-After"))
	}
}

// TestHeadersDescribeOneMoment is issue 15's "a 429 disagrees with itself"
// (Retry-After: 6 beside X-RateLimit-Reset: 60) on both backends.
func TestHeadersDescribeOneMoment(t *testing.T) {
	backends := map[string]func(t *testing.T) ratelimit.Limiter{
		"memory": func(t *testing.T) ratelimit.Limiter {
			m, err := ratelimit.NewMemory(tenPerMinute())
			require.NoError(t, err)
			return m
		},
		"redis": func(t *testing.T) ratelimit.Limiter {
			r, err := ratelimit.NewRedis(redisClient(t), tenPerMinute(), ratelimit.WithKeyPrefix(uniquePrefix(t)))
			require.NoError(t, err)
			return r
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			e := newEcho(t, ratelimit.MiddlewareConfig{Limiter: open(t)})
			codes := map[int]int{}
			for range 14 {
				req := httptest.NewRequest(http.MethodGet, "/api/public", nil)
				req.RemoteAddr = "203.0.113.9:1"
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				codes[rec.Code]++
				assertOneMoment(t, rec.Code, rec.Header())
				if rec.Code == http.StatusTooManyRequests {
					// One emission interval (6 s), never the 60 s until the bucket is full.
					assert.Equal(t, "6", rec.Header().Get("Retry-After"))
				}
			}
			assert.Equal(t, map[int]int{200: 10, 429: 4}, codes)
		})
	}
}

// FuzzHeadersOneMoment drives the in-memory limiter with arbitrary gaps
// between requests and checks every response's headers agree.
func FuzzHeadersOneMoment(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 200, 3})
	f.Add([]byte{255, 1, 2, 3})
	f.Fuzz(func(t *testing.T, gaps []byte) {
		if len(gaps) > 200 {
			gaps = gaps[:200]
		}
		clock := newClock()
		m, err := ratelimit.NewMemory(tenPerMinute(), ratelimit.WithNow(clock.Now))
		require.NoError(t, err)
		e := newEcho(t, ratelimit.MiddlewareConfig{Limiter: m})
		for _, g := range gaps {
			clock.Advance(time.Duration(g) * 50 * time.Millisecond)
			req := httptest.NewRequest(http.MethodGet, "/api/public", nil)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			assertOneMoment(t, rec.Code, rec.Header())
		}
	})
}
