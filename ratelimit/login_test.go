package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
)

type loginCall struct {
	client      string
	perUsername bool
}

// loginServer is the reference API (server.New) with the login limiter in
// front of /api/login, as vigil serve mounts it.
func loginServer(t *testing.T, lim ratelimit.Limiter, calls *[]loginCall, sink security.EventSink) *echo.Echo {
	t.Helper()
	e, err := server.New(server.Config{ReferenceMiddleware: []echo.MiddlewareFunc{
		ratelimit.LoginMiddleware(ratelimit.LoginConfig{Limiter: lim,
			OnLimited: func(c echo.Context, client string, perUsername bool, d ratelimit.Decision) {
				*calls = append(*calls, loginCall{client, perUsername})
				if sink != nil {
					ratelimit.RecordLoginLimited(sink)(c, client, perUsername, d)
				}
			}}),
	}})
	require.NoError(t, err)
	return e
}

func login(e *echo.Echo, ip, username, password string) *httptest.ResponseRecorder {
	body := fmt.Sprintf(`{"username": %q, "password": %q}`, username, password)
	req := httptest.NewRequest(http.MethodPost, "/api/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = ip + ":4242"
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestLoginGuessesAreLimited is issue 21 item 9: 100 of 100 guesses got a
// 401 and none a 429. One client now gets 10 attempts a minute, one
// username 5, with consistent headers on every answer.
func TestLoginGuessesAreLimited(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) ratelimit.Limiter{
		"memory": func(t *testing.T) ratelimit.Limiter {
			m, err := ratelimit.NewMemory(ratelimit.DefaultConfig())
			require.NoError(t, err)
			return m
		},
		"redis": func(t *testing.T) ratelimit.Limiter {
			cfg := ratelimit.DefaultConfig()
			cfg.RedisTimeout = 5 * time.Second
			r, err := ratelimit.NewRedis(redisClient(t), cfg, ratelimit.WithKeyPrefix(uniquePrefix(t)))
			require.NoError(t, err)
			return r
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Run("one client guessing many usernames", func(t *testing.T) {
				var calls []loginCall
				s := &sink{}
				e := loginServer(t, open(t), &calls, s)
				codes := map[int]int{}
				for i := range 100 {
					rec := login(e, "198.51.100.20", fmt.Sprintf("user%d", i), "guess")
					codes[rec.Code]++
					assertOneMoment(t, rec.Code, rec.Header())
					if rec.Code == http.StatusTooManyRequests {
						assert.Equal(t, `"login";q=10;w=60`, rec.Header().Get("RateLimit-Policy"), "the client budget refused")
					}
				}
				assert.Equal(t, map[int]int{401: 10, 429: 90}, codes)
				require.Len(t, calls, 90)
				assert.False(t, calls[0].perUsername)
				require.Len(t, s.events, 90)
				assert.Equal(t, security.EventRateLimitExceeded, s.events[0].Type)
				assert.Equal(t, "198.51.100.20", s.events[0].IP)
			})
			t.Run("many clients guessing one username", func(t *testing.T) {
				var calls []loginCall
				s := &sink{}
				e := loginServer(t, open(t), &calls, s)
				codes := map[int]int{}
				for i := range 100 {
					rec := login(e, fmt.Sprintf("198.51.100.%d", i+1), []string{"learner", "Learner ", "LEARNER"}[i%3], "guess")
					codes[rec.Code]++
					assertOneMoment(t, rec.Code, rec.Header())
				}
				assert.Equal(t, map[int]int{401: 5, 429: 95}, codes, "case and spaces do not buy a new budget")
				require.NotEmpty(t, calls)
				assert.True(t, calls[0].perUsername)
				assert.Equal(t, security.EventAuthnLoginFailMax, s.events[0].Type)
				assert.NotContains(t, s.events[0].Detail, "learner", "the event names the limit, not the user")

				rec := login(e, "198.51.100.200", "someone-else", "guess")
				assert.Equal(t, http.StatusUnauthorized, rec.Code, "other usernames keep their budget")
			})
			t.Run("the handler still reads the whole body", func(t *testing.T) {
				var calls []loginCall
				e := loginServer(t, open(t), &calls, nil)
				rec := login(e, "198.51.100.77", server.DemoUsername, server.DemoPassword)
				assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				assert.Equal(t, "4", rec.Header().Get("X-RateLimit-Remaining"), "the username budget binds (5 per minute)")
				assert.Equal(t, `"login-username";q=5;w=60`, rec.Header().Get("RateLimit-Policy"))
			})
		})
	}
}

func TestLoginBodyWithoutUsernameCountsPerClient(t *testing.T) {
	m, err := ratelimit.NewMemory(ratelimit.DefaultConfig())
	require.NoError(t, err)
	var calls []loginCall
	e := loginServer(t, m, &calls, nil)
	codes := map[int]int{}
	for range 12 {
		req := httptest.NewRequest(http.MethodPost, "/api/login", strings.NewReader(`not json`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.50:1"
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	assert.Equal(t, map[int]int{400: 10, 429: 2}, codes)
}

func FuzzLoginUsername(f *testing.F) {
	f.Add([]byte(`{"username": "learner", "password": "x"}`))
	f.Add([]byte(`{"username": 5}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ratelimit.NewMemory(ratelimit.DefaultConfig())
		require.NoError(t, err)
		var calls []loginCall
		e := loginServer(t, m, &calls, nil)
		req := httptest.NewRequest(http.MethodPost, "/api/login", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		require.NotEqual(t, http.StatusTooManyRequests, rec.Code, "a first attempt is never refused")
		require.Less(t, rec.Code, 500, "no body crashes the login route")
		assertOneMoment(t, rec.Code, rec.Header())
	})
}
