package console_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/console"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

const (
	adminKey  = "admin-key-0123456789abcdef"
	viewerKey = "viewer-key-0123456789abcdef"
	clientKey = "client-key-0123456789abcdef"
)

// newConsole serves the console in process, with keys of every role, a
// real SQLite store and a viewer route to try the cookie on.
func newConsole(t testing.TB) (*echo.Echo, *store.SQLite) {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	sessions, err := security.NewSessions(security.SessionConfig{Store: st})
	require.NoError(t, err)
	env := map[string]string{"A": adminKey, "V": viewerKey, "C": clientKey}
	auth, err := security.NewAuthenticator(security.Config{
		Keys: []security.KeyConfig{
			{Name: "ops", Role: security.RoleAdmin, KeyEnv: "A"},
			{Name: "dash", Role: security.RoleViewer, KeyEnv: "V"},
			{Name: "app", Role: security.RoleClient, KeyEnv: "C"},
		},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}, security.WithStoredKeys(st), security.WithSessions(sessions))
	require.NoError(t, err)
	c, err := console.New(console.Config{Auth: auth, Version: "1.2.3", Links: console.Links{Jaeger: "http://127.0.0.1:16686"}})
	require.NoError(t, err)
	e := echo.New()
	e.HTTPErrorHandler = server.ErrorHandler(slog.New(slog.DiscardHandler))
	e.Use(security.SecureHeaders(), auth.Authenticate())
	c.Register(e)
	e.GET("/api/alerts", func(c echo.Context) error { return c.JSON(200, map[string]any{"alerts": []any{}}) },
		auth.Require(security.RoleViewer))
	return e, st
}

func serve(e *echo.Echo, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func loginRequest(form url.Values, hdr ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, console.LoginPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func TestLogin(t *testing.T) {
	e, _ := newConsole(t)
	tests := []struct {
		name     string
		req      *http.Request
		status   int
		contains string
		cookie   bool
	}{
		{"an admin key logs in and is sent to /ui", loginRequest(url.Values{"key": {adminKey}}), http.StatusSeeOther, "", true},
		{"a viewer key logs in", loginRequest(url.Values{"key": {viewerKey}}), http.StatusSeeOther, "", true},
		{"surrounding spaces are ignored", loginRequest(url.Values{"key": {"  " + viewerKey + "\n"}}), http.StatusSeeOther, "", true},
		{"a wrong key is a 401 on the login page", loginRequest(url.Values{"key": {"nope-nope-nope"}}), http.StatusUnauthorized, "That key is not valid.", false},
		{"a client key may not use the console", loginRequest(url.Values{"key": {clientKey}}), http.StatusForbidden, "role client", false},
		{"an empty key is named", loginRequest(url.Values{"key": {""}}), http.StatusBadRequest, "enter an API key", false},
		{"a missing key is named", loginRequest(url.Values{"other": {"x"}}), http.StatusBadRequest, `form field &#34;key&#34;`, false},
		{"two keys are refused", loginRequest(url.Values{"key": {adminKey, viewerKey}}), http.StatusBadRequest, "give it once", false},
		{"an oversized key is refused", loginRequest(url.Values{"key": {strings.Repeat("k", 5000)}}), http.StatusBadRequest, "longer than 4096", false},
		{"JSON is not the login form", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, console.LoginPath, strings.NewReader(`{"key":"`+adminKey+`"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), http.StatusUnsupportedMediaType, "x-www-form-urlencoded", false},
		{"a login from another origin is refused", loginRequest(url.Values{"key": {adminKey}}, "Origin", "https://evil.example"),
			http.StatusForbidden, "cross-origin", false},
		{"a script gets JSON", loginRequest(url.Values{"key": {adminKey}}, "Accept", "application/json"), http.StatusOK, `"can_act":true`, true},
		{"a script gets problem details", loginRequest(url.Values{"key": {"wrong-key-123"}}, "Accept", "application/json"),
			http.StatusUnauthorized, `"status":401`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(e, tc.req)
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), tc.contains)
			cookies := rec.Result().Cookies()
			if tc.cookie {
				require.Len(t, cookies, 1)
				assert.Equal(t, security.SessionCookie, cookies[0].Name)
				assert.True(t, cookies[0].HttpOnly)
				assert.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)
			} else {
				assert.Empty(t, cookies)
			}
			if tc.status == http.StatusSeeOther {
				assert.Equal(t, console.Path, rec.Header().Get("Location"))
			}
			assert.NotContains(t, rec.Body.String(), adminKey, "a key is never echoed")
		})
	}
}

func login(t *testing.T, e *echo.Echo, key string) *http.Cookie {
	t.Helper()
	rec := serve(e, loginRequest(url.Values{"key": {key}}))
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	return rec.Result().Cookies()[0]
}

func get(e *echo.Echo, path string, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if c != nil {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return serve(e, req)
}

func TestPages(t *testing.T) {
	e, _ := newConsole(t)
	anon := get(e, console.Path, nil)
	require.Equal(t, http.StatusOK, anon.Code)
	assert.Contains(t, anon.Body.String(), `action="/ui/login"`, "without a session: the login page")
	assert.Equal(t, console.CSP, anon.Header().Get("Content-Security-Policy"))
	assert.Equal(t, "no-store", anon.Header().Get("Cache-Control"))

	c := login(t, e, viewerKey)
	page := get(e, console.Path, c)
	require.Equal(t, http.StatusOK, page.Code)
	assert.Contains(t, page.Body.String(), `src="/ui/assets/app.js"`, "with a session: the console")
	assert.Equal(t, console.CSP, page.Header().Get("Content-Security-Policy"))
	for _, bad := range []string{"<script>", " style=", "<style", " onclick=", " onload=", "javascript:"} {
		assert.NotContains(t, page.Body.String(), bad, "no inline script or style")
	}

	ended := get(e, console.Path, &http.Cookie{Name: security.SessionCookie, Value: strings.Repeat("A", 43)})
	assert.Contains(t, ended.Body.String(), "Your session has ended")

	// The session endpoint.
	rec := get(e, console.SessionPath, c)
	require.Equal(t, http.StatusOK, rec.Code)
	var info console.SessionInfo
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
	assert.Equal(t, "dash", info.Name)
	assert.Equal(t, "viewer", info.Role)
	assert.False(t, info.CanAct)
	assert.NotNil(t, info.ExpiresAt)
	assert.Equal(t, "http://127.0.0.1:16686", info.Links.Jaeger)
	assert.Equal(t, "vigil.metrics.v1", info.StreamProtocol)
	assert.Equal(t, http.StatusUnauthorized, get(e, console.SessionPath, nil).Code)

	// The cookie authenticates the API.
	assert.Equal(t, http.StatusOK, get(e, "/api/alerts", c).Code)
	assert.Equal(t, http.StatusUnauthorized, get(e, "/api/alerts", nil).Code)
}

func TestLogout(t *testing.T) {
	e, _ := newConsole(t)
	c := login(t, e, adminKey)
	req := httptest.NewRequest(http.MethodPost, console.LogoutPath, nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	rec := serve(e, req)
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	cleared := rec.Result().Cookies()
	require.NotEmpty(t, cleared)
	assert.Equal(t, security.SessionCookie, cleared[0].Name)
	assert.Negative(t, cleared[0].MaxAge)
	assert.Equal(t, http.StatusUnauthorized, get(e, "/api/alerts", c).Code, "the session is over on the server too")

	// A forged logout from another origin ends nothing.
	c = login(t, e, adminKey)
	req = httptest.NewRequest(http.MethodPost, console.LogoutPath, nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, serve(e, req).Code)
	assert.Equal(t, http.StatusOK, get(e, "/api/alerts", c).Code)
}

func TestAssets(t *testing.T) {
	e, _ := newConsole(t)
	for path, ctype := range map[string]string{
		"/ui/assets/app.js":      "text/javascript; charset=utf-8",
		"/ui/assets/style.css":   "text/css; charset=utf-8",
		"/ui/assets/favicon.svg": "image/svg+xml",
	} {
		rec := get(e, path, nil)
		require.Equal(t, http.StatusOK, rec.Code, path)
		assert.Equal(t, ctype, rec.Header().Get("Content-Type"), path)
		etag := rec.Header().Get("ETag")
		require.NotEmpty(t, etag)
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("If-None-Match", etag)
		assert.Equal(t, http.StatusNotModified, serve(e, req).Code, path)
	}
	assert.Equal(t, http.StatusNotFound, get(e, "/ui/assets/nope.js", nil).Code)
	assert.Equal(t, http.StatusNotFound, get(e, "/ui/assets/../console.go", nil).Code)
}

// TestNoRemoteAssets keeps the console offline: no asset refers to another
// host.
func TestNoRemoteAssets(t *testing.T) {
	e, _ := newConsole(t)
	c := login(t, e, adminKey)
	pages := []string{get(e, console.Path, c).Body.String(), get(e, console.Path, nil).Body.String()}
	entries, err := os.ReadDir("web/assets")
	require.NoError(t, err)
	require.Greater(t, len(entries), 5)
	for _, ent := range entries {
		name := ent.Name()
		rec := get(e, "/ui/assets/"+name, nil)
		require.Equal(t, http.StatusOK, rec.Code, name)
		pages = append(pages, rec.Body.String())
	}
	for _, p := range pages {
		for _, bad := range []string{"https://cdn", "//unpkg", "//cdnjs", "googleapis", "innerHTML", "insertAdjacentHTML", "eval("} {
			assert.NotContains(t, p, bad)
		}
	}
}

func FuzzLoginForm(f *testing.F) {
	e, _ := newConsole(f)
	f.Add("key=" + adminKey)
	f.Add("key=&key=x")
	f.Add("key=%zz")
	f.Add(strings.Repeat("key=a&", 100))
	f.Add("key=" + url.QueryEscape("\x00\xff"))
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, console.LoginPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := serve(e, req)
		switch rec.Code {
		case http.StatusSeeOther:
			vals, err := url.ParseQuery(body)
			if err != nil || strings.TrimSpace(vals.Get("key")) != adminKey {
				t.Fatalf("logged in with %q", body)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
