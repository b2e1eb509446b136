package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/server"
)

func newServer(t *testing.T, cfg server.Config) (*echo.Echo, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	e, err := server.New(cfg)
	require.NoError(t, err)
	e.GET("/panic", func(echo.Context) error { panic("boom") })
	return e, &logs
}

func do(e http.Handler, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) server.Problem {
	t.Helper()
	assert.Equal(t, server.ContentTypeProblem, rec.Header().Get("Content-Type"))
	var p server.Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	assert.Equal(t, rec.Code, p.Status)
	assert.NotEmpty(t, p.Title)
	assert.NotContains(t, rec.Body.String(), "goroutine")
	return p
}

func TestErrorsAreProblemDetails(t *testing.T) {
	e, _ := newServer(t, server.Config{BodyLimit: 64})
	tests := []struct {
		name         string
		method, path string
		body         string
		hdr          map[string]string
		status       int
		detail       string
	}{
		{"an unknown path is a 404", "GET", "/nope/nothing", "", nil, 404, "not found"},
		{"a wrong method is a 405", "DELETE", "/api/public", "", nil, 405, "method not allowed"},
		{"malformed JSON is a 400 naming the problem", "POST", "/api/chat", `{"message":`, nil, 400, "malformed JSON"},
		{"an unknown field is a 400 naming the field", "POST", "/api/chat", `{"mesage":"hi"}`, nil, 400, `unknown field "mesage"`},
		{"a wrong type is a 400 naming the field", "POST", "/api/chat", `{"message":3}`, nil, 400, `field "message"`},
		{"an empty message is a 400", "POST", "/api/chat", `{"message":"  "}`, nil, 400, `"message" must not be empty`},
		{"a body over the limit is a 413", "POST", "/api/chat", `{"message":"` + strings.Repeat("a", 100) + `"}`, nil, 413, "exceeds 64 bytes"},
		{"another media type is a 415", "POST", "/api/login", `{}`, map[string]string{"Content-Type": "text/plain"}, 415, "application/json"},
		{"a non-numeric user id is a 400", "GET", "/api/users/abc", "", nil, 400, `"id"`},
		{"an unknown user is a 404", "GET", "/api/users/5000", "", nil, 404, "user 5000 not found"},
		{"a panic is a 500 without internals", "GET", "/panic", "", nil, 500, "trace_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(e, tt.method, tt.path, tt.body, tt.hdr)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			p := decodeProblem(t, rec)
			assert.Contains(t, p.Detail, tt.detail)
			assert.NotContains(t, rec.Body.String(), "boom")
		})
	}
}

func TestMethodNotAllowedListsAllow(t *testing.T) {
	e, _ := newServer(t, server.Config{})
	rec := do(e, "PUT", "/api/chat", "", nil)
	require.Equal(t, 405, rec.Code)
	assert.Contains(t, rec.Header().Get("Allow"), "POST")
}

func TestPanicIsLoggedAndServerLives(t *testing.T) {
	e, logs := newServer(t, server.Config{})
	rec := do(e, "GET", "/panic", "", nil)
	require.Equal(t, 500, rec.Code)
	assert.Contains(t, logs.String(), "handler panicked")
	assert.Contains(t, logs.String(), "boom")
	assert.Equal(t, 200, do(e, "GET", "/api/public", "", nil).Code)
}

func TestChatIsDeterministic(t *testing.T) {
	e, _ := newServer(t, server.Config{})
	body := `{"message":"What is attention in transformers?"}`
	first := do(e, "POST", "/api/chat", body, nil)
	require.Equal(t, 200, first.Code, first.Body.String())
	var a, b server.ChatResponse
	require.NoError(t, json.Unmarshal(first.Body.Bytes(), &a))
	require.NoError(t, json.Unmarshal(do(e, "POST", "/api/chat", body, nil).Body.Bytes(), &b))
	assert.Equal(t, a, b)
	assert.Equal(t, server.ChatModel, a.Model)
	assert.Positive(t, a.Usage.PromptTokens)
	assert.Positive(t, a.Usage.CompletionTokens)
	assert.NotEmpty(t, a.Reply)
}

func TestLogin(t *testing.T) {
	e, _ := newServer(t, server.Config{})
	var failed []string
	e2, err := server.New(server.Config{OnLoginFail: func(_ echo.Context, u string) { failed = append(failed, u) }})
	require.NoError(t, err)

	ok := do(e, "POST", "/api/login", `{"username":"learner","password":"correct-horse-battery-staple"}`, nil)
	require.Equal(t, 200, ok.Code)
	var lr server.LoginResponse
	require.NoError(t, json.Unmarshal(ok.Body.Bytes(), &lr))
	assert.Len(t, lr.Token, 32)

	bad := do(e2, "POST", "/api/login", `{"username":"learner","password":"wrong"}`, nil)
	require.Equal(t, 401, bad.Code)
	assert.Equal(t, `Bearer realm="vigil"`, bad.Header().Get("WWW-Authenticate"))
	decodeProblem(t, bad)
	assert.Equal(t, []string{"learner"}, failed)
}

func TestUser(t *testing.T) {
	e, _ := newServer(t, server.Config{})
	rec := do(e, "GET", "/api/users/42", "", nil)
	require.Equal(t, 200, rec.Code)
	var u server.User
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &u))
	assert.Equal(t, 42, u.ID)
	assert.Equal(t, "learner42@example.com", u.Email)
}

func TestDemoFaults(t *testing.T) {
	tests := []struct {
		name    string
		enabled bool
		hdr     map[string]string
		status  int
		minTime time.Duration
	}{
		{"faults off ignore the error header", false, map[string]string{server.HeaderDemoFault: "error"}, 200, 0},
		{"faults off ignore the delay header", false, map[string]string{server.HeaderDemoDelay: "5s"}, 200, 0},
		{"faults on fail with a 500", true, map[string]string{server.HeaderDemoFault: "error"}, 500, 0},
		{"faults on delay the response", true, map[string]string{server.HeaderDemoDelay: "120ms"}, 200, 120 * time.Millisecond},
		{"faults on reject a bad delay", true, map[string]string{server.HeaderDemoDelay: "soon"}, 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newServer(t, server.Config{DemoFaults: tt.enabled})
			start := time.Now()
			rec := do(e, "GET", "/api/users/1", "", tt.hdr)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.GreaterOrEqual(t, time.Since(start), tt.minTime)
			if !tt.enabled {
				assert.Less(t, time.Since(start), time.Second)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	failing := false
	e, _ := newServer(t, server.Config{Version: "1.2.3", Health: []server.HealthCheck{
		{Name: "store:responseTime", ComponentType: "datastore", Critical: true, Check: func(context.Context) server.CheckResult {
			if failing {
				return server.CheckResult{Status: server.StatusFail, Output: "down"}
			}
			return server.CheckResult{Status: server.StatusPass, ObservedValue: 1.5, ObservedUnit: "ms"}
		}},
		{Name: "telemetry:exporter", Check: func(context.Context) server.CheckResult {
			return server.CheckResult{Status: server.StatusWarn, Output: "stale"}
		}},
	}})
	live := do(e, "GET", "/health", "", nil)
	assert.Equal(t, 200, live.Code)
	assert.JSONEq(t, `{"status":"pass"}`, live.Body.String())

	rec := do(e, "GET", "/api/health", "", nil)
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, server.ContentTypeHealth, rec.Header().Get("Content-Type"))
	var h server.HealthResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
	assert.Equal(t, server.StatusWarn, h.Status)
	assert.Equal(t, "1.2.3", h.Version)
	assert.Equal(t, "datastore", h.Checks["store:responseTime"][0].ComponentType)

	assert.Equal(t, 200, do(e, "GET", "/ready", "", nil).Code, "a warning component does not gate readiness")
	failing = true
	assert.Equal(t, 503, do(e, "GET", "/ready", "", nil).Code)
	assert.Equal(t, 503, do(e, "GET", "/api/health", "", nil).Code)
}

func TestLanding(t *testing.T) {
	e, _ := newServer(t, server.Config{Version: "9.9.9", Links: server.Links{Grafana: "http://grafana.example:3000"}})
	html := do(e, "GET", "/", "", map[string]string{"Accept": "text/html"})
	assert.Equal(t, 200, html.Code)
	assert.Contains(t, html.Header().Get("Content-Type"), "text/html")
	assert.Contains(t, html.Body.String(), "http://grafana.example:3000")
	assert.Contains(t, html.Body.String(), "9.9.9")

	js := do(e, "GET", "/", "", map[string]string{"Accept": "application/json"})
	var l server.Landing
	require.NoError(t, json.Unmarshal(js.Body.Bytes(), &l))
	assert.Equal(t, "9.9.9", l.Version)
	assert.Equal(t, "/docs", l.Links["api documentation"])
	assert.Equal(t, "/ui", l.Links["alert console"])
	assert.Contains(t, html.Body.String(), `href="/ui"`)
}

func TestClientIPIgnoresForwardedForUnlessTrusted(t *testing.T) {
	_, trusted, err := net.ParseCIDR("10.0.0.0/8")
	require.NoError(t, err)
	tests := []struct {
		name    string
		proxies []*net.IPNet
		peer    string
		want    string
	}{
		{"without trusted proxies the peer is the client", nil, "192.0.2.7:1234", "192.0.2.7"},
		{"a trusted proxy's X-Forwarded-For names the client", []*net.IPNet{trusted}, "10.1.2.3:1234", "203.0.113.9"},
		{"an untrusted peer's X-Forwarded-For is ignored", []*net.IPNet{trusted}, "192.0.2.7:1234", "192.0.2.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := server.New(server.Config{TrustedProxies: tt.proxies})
			require.NoError(t, err)
			var got string
			e.GET("/ip", func(c echo.Context) error { got = c.RealIP(); return nil })
			req := httptest.NewRequest("GET", "/ip", nil)
			req.RemoteAddr = tt.peer
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			e.ServeHTTP(httptest.NewRecorder(), req)
			assert.Equal(t, tt.want, got)
		})
	}
}
