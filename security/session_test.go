package security_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/store"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type sessionEnv struct {
	st    *store.SQLite
	auth  *security.Authenticator
	app   *echo.Echo
	clock *clock
	sink  *fakeSink
}

// newSessionEnv wires an authenticator with stored keys and sessions on a
// real SQLite store, and the routes of newApp plus a login that returns
// the session cookie.
func newSessionEnv(t *testing.T) *sessionEnv {
	t.Helper()
	st := openSQLite(t)
	clk := &clock{t: time.Now()}
	sessions, err := security.NewSessions(security.SessionConfig{Store: st, TTL: time.Hour, Now: clk.now})
	require.NoError(t, err)
	sink := &fakeSink{}
	a, err := security.NewAuthenticator(testConfig(true), security.WithEvents(sink),
		security.WithStoredKeys(st), security.WithSessions(sessions))
	require.NoError(t, err)
	app := newApp(t, a)
	app.POST("/login", func(c echo.Context) error {
		token, sess, err := a.StartSession(c.Request().Context(), c.FormValue("key"))
		if err != nil {
			return echo.NewHTTPError(http.StatusUnauthorized, err.Error())
		}
		http.SetCookie(c.Response(), sessions.Cookie(c.Request(), token, sess.ExpiresAt))
		return c.NoContent(http.StatusNoContent)
	}, security.SameOrigin())
	app.POST("/logout", func(c echo.Context) error {
		if err := a.EndSession(c.Request()); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, security.SameOrigin())
	return &sessionEnv{st: st, auth: a, app: app, clock: clk, sink: sink}
}

func (e *sessionEnv) do(t *testing.T, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	e.app.ServeHTTP(rec, req)
	return rec
}

func (e *sessionEnv) login(t *testing.T, key string, tls bool) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("key="+key))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tls {
		req.Header.Set("X-Forwarded-Proto", "https")
	}
	rec := e.do(t, req)
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	return cookies[0]
}

func withCookie(method, path string, c *http.Cookie, hdr ...string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func TestSessionCookieFlags(t *testing.T) {
	e := newSessionEnv(t)
	c := e.login(t, testKeys["admin"], false)
	assert.Equal(t, security.SessionCookie, c.Name)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.False(t, c.Secure, "plain HTTP: not Secure, or the browser would drop it")
	assert.Equal(t, "/", c.Path)
	assert.Len(t, c.Value, 43)
	assert.InDelta(t, time.Hour.Seconds(), float64(c.MaxAge), 2)
	assert.NotContains(t, c.Value, testKeys["admin"])

	s := e.login(t, testKeys["admin"], true)
	assert.Equal(t, security.SecureSessionCookie, s.Name, "behind a TLS proxy the cookie is __Host-")
	assert.True(t, s.Secure)
	assert.True(t, s.HttpOnly)
	assert.Equal(t, "/", s.Path)
	assert.Empty(t, s.Domain)

	// The store keeps only hashes.
	got, err := e.st.GetSession(t.Context(), security.HashKey(c.Value))
	require.NoError(t, err)
	assert.Equal(t, "admin", got.Name)
	assert.Equal(t, security.HashKey(testKeys["admin"]), got.KeyHash)
}

func TestSessionAuthenticatesAPI(t *testing.T) {
	e := newSessionEnv(t)
	admin := e.login(t, testKeys["admin"], false)
	viewer := e.login(t, testKeys["viewer"], false)
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"an admin session reads", withCookie("GET", "/api/alerts", admin), 200},
		{"an admin session acts from its own origin", withCookie("POST", "/api/alerts/a1/acknowledge", admin,
			"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"), 200},
		{"an admin session acts without browser headers", withCookie("POST", "/api/alerts/a1/acknowledge", admin), 200},
		{"a viewer session reads", withCookie("GET", "/api/alerts", viewer), 200},
		{"a viewer session may not act", withCookie("POST", "/api/alerts/a1/acknowledge", viewer, "Sec-Fetch-Site", "same-origin"), 403},
		{"another Origin is refused", withCookie("POST", "/api/alerts/a1/acknowledge", admin,
			"Origin", "https://evil.example"), 403},
		{"a cross-site fetch is refused", withCookie("POST", "/api/alerts/a1/acknowledge", admin,
			"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), 403},
		{"a same-site but cross-origin fetch is refused", withCookie("POST", "/api/alerts/a1/acknowledge", admin,
			"Sec-Fetch-Site", "same-site"), 403},
		{"a cross-origin read is not a forgery", withCookie("GET", "/api/alerts", admin, "Origin", "https://evil.example"), 200},
		{"a garbage cookie is no session", withCookie("GET", "/api/alerts", &http.Cookie{Name: security.SessionCookie, Value: "nope"}), 401},
		{"an unknown session is no session", withCookie("GET", "/api/alerts",
			&http.Cookie{Name: security.SessionCookie, Value: strings.Repeat("A", 43)}), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Host = "example.com"
			rec := e.do(t, tc.req)
			assert.Equal(t, tc.want, rec.Code, rec.Body.String())
		})
	}

	// A bearer token is unaffected by Origin: it is not ambient authority.
	req := httptest.NewRequest(http.MethodPost, "/api/alerts/a1/acknowledge", nil)
	req.Header.Set("Authorization", "Bearer "+testKeys["admin"])
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, 200, e.do(t, req).Code)
}

func TestLoginAndLogoutRefuseOtherOrigins(t *testing.T) {
	e := newSessionEnv(t)
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("key="+testKeys["admin"]))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	rec := e.do(t, req)
	assert.Equal(t, http.StatusForbidden, rec.Code, "login CSRF")
	assert.Empty(t, rec.Result().Cookies())

	c := e.login(t, testKeys["admin"], false)
	rec = e.do(t, withCookie("POST", "/logout", c, "Sec-Fetch-Site", "cross-site"))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, 200, e.do(t, withCookie("GET", "/api/alerts", c)).Code, "a forged logout ends nothing")
}

func TestSessionEnds(t *testing.T) {
	e := newSessionEnv(t)
	ctx := t.Context()
	t.Run("on logout", func(t *testing.T) {
		c := e.login(t, testKeys["viewer"], false)
		require.Equal(t, 200, e.do(t, withCookie("GET", "/api/alerts", c)).Code)
		require.Equal(t, 204, e.do(t, withCookie("POST", "/logout", c)).Code)
		rec := e.do(t, withCookie("GET", "/api/alerts", c))
		assert.Equal(t, 401, rec.Code)
		assert.Contains(t, rec.Body.String(), "session expired or revoked")
	})
	t.Run("when it expires", func(t *testing.T) {
		c := e.login(t, testKeys["viewer"], false)
		e.clock.add(59 * time.Minute)
		require.Equal(t, 200, e.do(t, withCookie("GET", "/api/alerts", c)).Code)
		e.clock.add(time.Minute)
		assert.Equal(t, 401, e.do(t, withCookie("GET", "/api/alerts", c)).Code)
	})
	t.Run("when its stored key is revoked", func(t *testing.T) {
		key, err := security.GenerateKey()
		require.NoError(t, err)
		require.NoError(t, e.st.CreateAPIKey(ctx, store.APIKey{Name: "ana", Role: "admin", Hash: security.HashKey(key)}))
		c := e.login(t, key, false)
		other := e.login(t, testKeys["admin"], false)
		require.Equal(t, 200, e.do(t, withCookie("GET", "/admin/security/events", c)).Code)
		_, err = e.st.RevokeAPIKey(ctx, "ana", time.Now())
		require.NoError(t, err)
		assert.Equal(t, 401, e.do(t, withCookie("GET", "/admin/security/events", c)).Code)
		assert.Equal(t, 200, e.do(t, withCookie("GET", "/admin/security/events", other)).Code, "other keys' sessions live on")
	})
	t.Run("when its configured key leaves the configuration", func(t *testing.T) {
		c := e.login(t, testKeys["viewer"], false)
		require.Equal(t, 200, e.do(t, withCookie("GET", "/api/alerts", c)).Code)
		// A restart with a configuration without the viewer key: the
		// session row is still live in the store, yet it no longer
		// authenticates.
		sessions, err := security.NewSessions(security.SessionConfig{Store: e.st, TTL: time.Hour, Now: e.clock.now})
		require.NoError(t, err)
		cfg := testConfig(true)
		cfg.Keys = cfg.Keys[:1]
		a, err := security.NewAuthenticator(cfg, security.WithStoredKeys(e.st), security.WithSessions(sessions))
		require.NoError(t, err)
		got, err := e.st.GetSession(ctx, security.HashKey(c.Value))
		require.NoError(t, err)
		require.Nil(t, got.RevokedAt)
		rec := httptest.NewRecorder()
		newApp(t, a).ServeHTTP(rec, withCookie("GET", "/api/alerts", c))
		assert.Equal(t, 401, rec.Code)
	})
}

func TestStoredKeys(t *testing.T) {
	e := newSessionEnv(t)
	key, err := security.GenerateKey()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(key, security.KeyPrefix))
	assert.GreaterOrEqual(t, len(key)-len(security.KeyPrefix), 24)
	assert.Regexp(t, `^[A-Za-z0-9_-]+$`, key, "URL-safe")
	require.NoError(t, e.st.CreateAPIKey(t.Context(), store.APIKey{Name: "ci", Role: "viewer", Hash: security.HashKey(key)}))

	get := func(path, k string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-API-Key", k)
		return e.do(t, req).Code
	}
	assert.Equal(t, 200, get("/api/alerts", key))
	assert.Equal(t, 403, get("/admin/security/events", key), "the stored role applies")
	p, hash, err := e.auth.LookupContext(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, security.Principal{Name: "ci", Role: security.RoleViewer}, p)
	assert.Equal(t, security.HashKey(key), hash)

	_, err = e.st.RevokeAPIKey(t.Context(), "ci", time.Now())
	require.NoError(t, err)
	assert.Equal(t, 401, get("/api/alerts", key), "a revoked key is refused at once")
	assert.Contains(t, e.sink.types(), security.EventAuthnLoginFail)
}

// failingKeys is a key store that cannot answer.
type failingKeys struct{}

func (failingKeys) ListAPIKeys(context.Context) ([]store.APIKey, error) {
	return nil, errors.New("connection refused")
}

func (failingKeys) GetAPIKey(_ context.Context, _ string) (store.APIKey, error) {
	return store.APIKey{}, errors.New("connection refused")
}

func TestKeyStoreOutageIsNotA401(t *testing.T) {
	sink := &fakeSink{}
	a, err := security.NewAuthenticator(testConfig(true), security.WithEvents(sink), security.WithStoredKeys(failingKeys{}))
	require.NoError(t, err)
	app := newApp(t, a)
	req := httptest.NewRequest(http.MethodGet, "/api/alerts", nil)
	req.Header.Set("X-API-Key", "some-stored-key-0123456789")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assert.Empty(t, sink.types(), "an outage is not a failed login")

	// Configured keys need no store.
	req = httptest.NewRequest(http.MethodGet, "/api/alerts", nil)
	req.Header.Set("X-API-Key", testKeys["viewer"])
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestPostureCountsStoredKeys(t *testing.T) {
	e := newSessionEnv(t)
	key, err := security.GenerateKey()
	require.NoError(t, err)
	require.NoError(t, e.st.CreateAPIKey(t.Context(), store.APIKey{Name: "first", Role: "admin", Hash: security.HashKey(key)}))
	require.NoError(t, e.st.CreateAPIKey(t.Context(), store.APIKey{Name: "gone", Role: "viewer", Hash: security.HashKey("x")}))
	_, err = e.st.RevokeAPIKey(t.Context(), "gone", time.Now())
	require.NoError(t, err)

	only, err := security.NewAuthenticator(security.Config{LookupEnv: env(nil)}, security.WithStoredKeys(e.st))
	require.NoError(t, err)
	n, err := only.KeyCountContext(t.Context())
	require.NoError(t, err)
	assert.Equal(t, map[security.Role]int{security.RoleAdmin: 1}, n, "the stored admin counts, the revoked viewer does not")
	rep := security.NewHandlers(security.HandlersConfig{Store: e.st, Auth: only, SecureHeaders: true}).Report(t.Context(), true)
	assert.Equal(t, "pass", rep.Checks["auth:admin"][0].Status, "a first-run admin key is an admin key")

	down, err := security.NewAuthenticator(testConfig(true), security.WithStoredKeys(failingKeys{}))
	require.NoError(t, err)
	n, err = down.KeyCountContext(t.Context())
	require.Error(t, err)
	assert.Equal(t, 1, n[security.RoleAdmin], "configured keys still count")
}

// held is a long-lived request (like a stream) whose credential the test
// rechecks while the handler still runs.
type held struct {
	ask  chan struct{}
	got  chan error
	done chan struct{}
}

func (h held) recheck() error {
	h.ask <- struct{}{}
	return <-h.got
}

// hold serves req on app in the background; its handler answers rechecks
// until the test ends.
func hold(t *testing.T, app *echo.Echo, a *security.Authenticator, req *http.Request) held {
	t.Helper()
	h := held{ask: make(chan struct{}), got: make(chan error), done: make(chan struct{})}
	ready := make(chan struct{})
	path := "/held/" + strings.ReplaceAll(t.Name(), "/", "-") + fmt.Sprint(time.Now().UnixNano())
	app.GET(path, func(c echo.Context) error {
		close(ready)
		for {
			select {
			case <-h.ask:
				h.got <- a.Recheck(c)
			case <-h.done:
				return c.NoContent(http.StatusOK)
			}
		}
	}, a.Require(security.RoleViewer))
	req.URL.Path = path
	go app.ServeHTTP(httptest.NewRecorder(), req)
	t.Cleanup(func() { close(h.done) })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the held request was refused")
	}
	return h
}

func TestRecheck(t *testing.T) {
	e := newSessionEnv(t)
	key, err := security.GenerateKey()
	require.NoError(t, err)
	require.NoError(t, e.st.CreateAPIKey(t.Context(), store.APIKey{Name: "ci", Role: "viewer", Hash: security.HashKey(key)}))
	byKey := httptest.NewRequest(http.MethodGet, "/", nil)
	byKey.Header.Set("Authorization", "Bearer "+key)
	keyStream := hold(t, e.app, e.auth, byKey)
	cookieStream := hold(t, e.app, e.auth, withCookie("GET", "/", e.login(t, key, false)))
	other := hold(t, e.app, e.auth, withCookie("GET", "/", e.login(t, testKeys["viewer"], false)))
	require.NoError(t, keyStream.recheck())
	require.NoError(t, cookieStream.recheck())

	_, err = e.st.RevokeAPIKey(t.Context(), "ci", time.Now())
	require.NoError(t, err)
	assert.ErrorIs(t, keyStream.recheck(), security.ErrCredentialGone, "a revoked key")
	assert.ErrorIs(t, cookieStream.recheck(), security.ErrCredentialGone, "a session of a revoked key")
	assert.NoError(t, other.recheck())
	e.clock.add(2 * time.Hour)
	assert.ErrorIs(t, other.recheck(), security.ErrCredentialGone, "an expired session")

	// A store that cannot answer is not a revocation.
	a, err := security.NewAuthenticator(testConfig(true), security.WithStoredKeys(failingKeys{}))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-API-Key", testKeys["viewer"])
	assert.NoError(t, hold(t, newApp(t, a), a, req).recheck(), "configured keys need no store")
}
