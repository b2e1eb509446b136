package security_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/security/securitytest"
	"github.com/vigilhq/vigil/store"
)

var testKeys = map[string]string{
	securitytest.Client: "client-key-7f3a9c0e",
	securitytest.Viewer: "viewer-key-1b2d4e6f",
	securitytest.Admin:  "admin-key-9e8d7c6b",
}

func testConfig(withAdmin bool) security.Config {
	vars := map[string]string{"CLIENT_KEY": testKeys["client"], "VIEWER_KEY": testKeys["viewer"]}
	if withAdmin {
		vars["VIGIL_ADMIN_TOKEN"] = testKeys["admin"]
	}
	return security.Config{
		Keys: []security.KeyConfig{
			{Name: "app", Role: security.RoleClient, KeyEnv: "CLIENT_KEY"},
			{Name: "grafana", Role: security.RoleViewer, KeyEnv: "VIEWER_KEY"},
		},
		LookupEnv: env(vars),
	}
}

// fakeSink collects events.
type fakeSink struct {
	mu     sync.Mutex
	events []store.SecurityEvent
}

func (f *fakeSink) Record(_ context.Context, e store.SecurityEvent) {
	f.mu.Lock()
	f.events = append(f.events, e)
	f.mu.Unlock()
}

func (f *fakeSink) types() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		out = append(out, e.Type)
	}
	return out
}

// newApp mounts routes like the Vigil server does.
func newApp(t *testing.T, a *security.Authenticator) *echo.Echo {
	t.Helper()
	e := echo.New()
	e.Use(a.Authenticate())
	ok := func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"ok": "yes"}) }
	e.GET("/health", ok)
	e.GET("/api/public", ok)
	e.POST("/api/chat", ok, a.Require(security.RoleClient))
	e.GET("/api/alerts", ok, a.Require(security.RoleViewer))
	e.POST("/api/alerts/:id/acknowledge", ok, a.Require(security.RoleAdmin))
	e.GET("/admin/security/events", ok, a.Require(security.RoleAdmin))
	return e
}

var matrix = []securitytest.Route{
	{Method: http.MethodGet, Path: "/health", Want: securitytest.Public(200)},
	{Method: http.MethodGet, Path: "/api/public", Want: securitytest.Public(200)},
	{Method: http.MethodPost, Path: "/api/chat", Body: `{}`, Want: securitytest.Expect(securitytest.Client, 200)},
	{Method: http.MethodGet, Path: "/api/alerts", Want: securitytest.Expect(securitytest.Viewer, 200)},
	{Method: http.MethodPost, Path: "/api/alerts/a1/acknowledge", Body: `{}`, Want: securitytest.Expect(securitytest.Admin, 200)},
	{Method: http.MethodGet, Path: "/admin/security/events", Want: securitytest.Expect(securitytest.Admin, 200)},
}

func TestRoleMatrix(t *testing.T) {
	a, err := security.NewAuthenticator(testConfig(true))
	require.NoError(t, err)
	securitytest.RunMatrix(t, newApp(t, a), testKeys, matrix)
}

func TestNoAdminKeyRefusesAdminRoutes(t *testing.T) {
	sink := &fakeSink{}
	a, err := security.NewAuthenticator(testConfig(false), security.WithEvents(sink))
	require.NoError(t, err)
	require.False(t, a.HasAdmin())
	app := newApp(t, a)
	for _, key := range []string{"", testKeys["admin"], "", "anything"} {
		req := httptest.NewRequest(http.MethodPost, "/api/alerts/a1/acknowledge", nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, "key %q", key)
		if key == "" {
			assert.Equal(t, `Bearer realm="vigil"`, rec.Header().Get("WWW-Authenticate"))
		} else {
			assert.Equal(t, `Bearer realm="vigil", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
		}
	}
	assert.Equal(t, []string{"authn_login_fail", "authn_login_fail"}, sink.types())
}

func TestBothHeadersAndEvents(t *testing.T) {
	sink := &fakeSink{}
	a, err := security.NewAuthenticator(testConfig(true), security.WithEvents(sink))
	require.NoError(t, err)
	app := newApp(t, a)
	tests := map[string]struct {
		header, value string
		want          int
	}{
		"a bearer token is accepted":               {"Authorization", "Bearer " + testKeys["admin"], 200},
		"the bearer scheme is case-insensitive":    {"Authorization", "bearer " + testKeys["admin"], 200},
		"an X-API-Key is accepted":                 {"X-API-Key", testKeys["admin"], 200},
		"basic auth is not an api key":             {"Authorization", "Basic " + testKeys["admin"], 401},
		"a key with a suffix is wrong":             {"X-API-Key", testKeys["admin"] + "x", 401},
		"a viewer key on an admin route is denied": {"X-API-Key", testKeys["viewer"], 403},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/alerts/a1/acknowledge", nil)
			req.Header.Set(tc.header, tc.value)
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			assert.Equal(t, tc.want, rec.Code)
		})
	}
	types := sink.types()
	count := map[string]int{}
	for _, typ := range types {
		count[typ]++
	}
	assert.Equal(t, map[string]int{"authz_admin": 3, "authn_login_fail": 2, "authz_fail": 1}, count)
	for _, e := range sink.events {
		assert.Equal(t, "/api/alerts/:id/acknowledge", e.Route, "the route, not the raw path")
		assert.Equal(t, http.MethodPost, e.Method)
		assert.NotEmpty(t, e.IP)
		assert.NotContains(t, fmt.Sprint(e), "key-")
	}
}

func TestOnlyHashesAreKept(t *testing.T) {
	a, err := security.NewAuthenticator(testConfig(true))
	require.NoError(t, err)
	dump := fmt.Sprintf("%#v %+v", *a, *a)
	for role, key := range testKeys {
		assert.NotContains(t, dump, key, "the %s key is kept in plain text", role)
		assert.NotContains(t, dump, fmt.Sprintf("%v", []byte(key)), "the %s key is kept as bytes", role)
	}
}

func TestLookupChecksEveryKey(t *testing.T) {
	// Many keys: the last one and a miss take the same path through all of
	// them; the match is found wherever it sits.
	var keys []security.KeyConfig
	vars := map[string]string{}
	for i := range 50 {
		name := fmt.Sprint("k", i)
		keys = append(keys, security.KeyConfig{Name: name, Role: security.RoleClient, KeyEnv: strings.ToUpper(name)})
		vars[strings.ToUpper(name)] = fmt.Sprint("value-", i)
	}
	a, err := security.NewAuthenticator(security.Config{Keys: keys, LookupEnv: env(vars)})
	require.NoError(t, err)
	for _, i := range []int{0, 25, 49} {
		p, ok := a.Lookup(fmt.Sprint("value-", i))
		assert.True(t, ok)
		assert.Equal(t, fmt.Sprint("k", i), p.Name)
	}
	_, ok := a.Lookup("value-50")
	assert.False(t, ok)
}

// TestKeysNeverLogged runs requests with every key, right and wrong,
// through the middleware and the recorder with a JSON log handler, and
// greps the log for the keys.
func TestKeysNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := openSQLite(t)
	rec, err := security.NewRecorder(security.RecorderConfig{Store: st, Logger: logger})
	require.NoError(t, err)
	a, err := security.NewAuthenticator(testConfig(true), security.WithEvents(rec))
	require.NoError(t, err)
	app := newApp(t, a)
	app.Logger.SetOutput(&buf)
	app.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			logger.Info("request", "method", c.Request().Method, "route", c.Path(), "status", c.Response().Status)
			return err
		}
	})
	wrong := []string{"wrong-key-abcdef123", securitytest.JunkKey}
	all := append([]string{testKeys["client"], testKeys["viewer"], testKeys["admin"]}, wrong...)
	for _, key := range all {
		for _, r := range matrix {
			for _, h := range []string{"Authorization", "X-API-Key"} {
				req := httptest.NewRequest(r.Method, r.Path, nil)
				if h == "Authorization" {
					req.Header.Set(h, "Bearer "+key)
				} else {
					req.Header.Set(h, key)
				}
				app.ServeHTTP(httptest.NewRecorder(), req)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, rec.Close(ctx))
	require.NotZero(t, buf.Len())
	assert.Contains(t, buf.String(), "authn_login_fail", "events were logged")
	for _, key := range all {
		assert.NotContains(t, buf.String(), key)
	}

	n, err := st.CountSecurityEvents(ctx, security.EventAuthnLoginFail, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, int64(len(wrong)*len(matrix)*2), n, "every wrong key recorded once per request")
}

func openSQLite(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}
